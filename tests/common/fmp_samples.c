/* Sample FMP messages: every request, response and event with non-trivial field values,
 * including list payloads, error responses and a 4 KiB config-space block. */
#include <string.h>

#include "fmp_samples.h"

static const struct fmp_port_info sample_ports[] = {
	{.port = 0, .flags = FMP_PORT_F_LINK_UP, .width = 16, .speed = FMP_SPEED_16GT,
	 .n_vppb = 8, .n_bound = 2, .usp_bus = 1, .name = "web1"},
	{.port = 5, .flags = 0, .width = 8, .speed = FMP_SPEED_8GT, .n_vppb = 4,
	 .n_bound = 0, .usp_bus = 1, .name = "db-with-a-long-host-name-0123456789"},
};

static const struct fmp_slot_info sample_slots[] = {
	{.slot = 1, .flags = FMP_SLOT_F_PRESENT | FMP_SLOT_F_POWER_ON | FMP_SLOT_F_DLL_ACTIVE,
	 .label = "Slot 1 (NIC)"},
	{.slot = 2, .flags = 0, .label = ""},
	{.slot = 300, .flags = FMP_SLOT_F_POWER_FAULT | FMP_SLOT_F_ATTN_BLINK, .label = "J300"},
};

static const struct fmp_function_info sample_fns[] = {
	{.fn = {1, 0, FMP_VF_NONE}, .flags = 0, .rid = 0x0300, .vendor = 0x8086,
	 .device = 0x10fb, .class_code = 0x020000, .bind_state = FMP_BIND_UNBOUND,
	 .port = FMP_PORT_NONE, .vppb = FMP_VPPB_NONE},
	{.fn = {1, 0, 3}, .flags = FMP_FN_F_VF, .rid = 0x0486, .vendor = 0x8086,
	 .device = 0x10ed, .class_code = 0x020000, .bind_state = FMP_BIND_BOUND, .port = 2,
	 .vppb = 1},
};

static const struct fmp_vppb_info sample_vppbs[] = {
	{.vppb = 0, .bind_state = FMP_BIND_BOUND,
	 .slot_flags = FMP_SLOT_F_PRESENT | FMP_SLOT_F_DLL_ACTIVE | FMP_SLOT_F_POWER_ON,
	 .sec_bus = 3, .fn = {1, 0, 3}},
	{.vppb = 1, .bind_state = FMP_BIND_UNBOUND, .slot_flags = 0, .sec_bus = 4,
	 .fn = {FMP_SLOT_NONE, 0, FMP_VF_NONE}},
};

static uint8_t sample_config[FMP_CONFIG_SPACE_SIZE];

static void fill_config(void)
{
	for (size_t i = 0; i < sizeof(sample_config); i++)
		sample_config[i] = (uint8_t)(i * 7 + 3);
}

static void req(struct fmp_msg *m, uint16_t op, uint32_t tag)
{
	m->hdr.kind = FMP_KIND_REQUEST;
	m->hdr.opcode = op;
	m->hdr.tag = tag;
}

static void resp(struct fmp_msg *m, uint16_t op, uint32_t tag)
{
	m->hdr.kind = FMP_KIND_RESPONSE;
	m->hdr.opcode = op;
	m->hdr.tag = tag;
}

static void build(size_t i, struct fmp_msg *m)
{
	union fmp_msg_body *u = &m->u;

	switch (i) {
	case 0:
		req(m, FMP_OP_HELLO, 1);
		u->hello_req = (struct fmp_hello_req){1, 1, FMP_FEAT_QOS, 65536, "fabricd 0.1.0"};
		break;
	case 1:
		resp(m, FMP_OP_HELLO, 1);
		u->hello_resp = (struct fmp_hello_resp){
			.version = 1, .features = FMP_FEAT_QOS, .max_payload = 65536, .boot_id = 0x0123456789abcdefull,
			.event_seq = 42, .n_ports = 4, .n_slots = 4, .n_functions = 135,
			.chassis = "rack1", .model = "MRIOV-SIM-24", .serial = "SIM0001",
			.firmware = "switch-sim 0.1.0"};
		break;
	case 2:
		req(m, FMP_OP_PING, 2);
		u->ping.cookie = 0xfeedfacecafebeefull;
		break;
	case 3:
		resp(m, FMP_OP_PING, 2);
		u->ping.cookie = 0xfeedfacecafebeefull;
		break;
	case 4:
		req(m, FMP_OP_GET_PORTS, 3);
		break;
	case 5:
		resp(m, FMP_OP_GET_PORTS, 3);
		u->ports_resp.count = 2;
		u->ports_resp.ports = (struct fmp_port_info *)sample_ports;
		break;
	case 6:
		req(m, FMP_OP_GET_SLOTS, 4);
		break;
	case 7:
		resp(m, FMP_OP_GET_SLOTS, 4);
		u->slots_resp.count = 3;
		u->slots_resp.slots = (struct fmp_slot_info *)sample_slots;
		break;
	case 8:
		req(m, FMP_OP_GET_CARD, 5);
		u->card_req.slot = 1;
		break;
	case 9:
		resp(m, FMP_OP_GET_CARD, 5);
		u->card_resp = (struct fmp_card_resp){
			.slot = 1, .sharing = FMP_SHARING_SRIOV, .n_pfs = 2, .vendor = 0x8086,
			.subsys_vendor = 0x8086, .subsys_device = 0x000c, .class_code = 0x020000,
			.dsn = 0x001b21ffff2b46e0ull, .profile = "intel-82599", .name = "nic0",
			.pfs = {{0, 0x10fb, 64, 8, 0x10ed, 384, 2}, {1, 0x10fb, 64, 0, 0x10ed, 384, 2}}};
		break;
	case 10:
		req(m, FMP_OP_GET_FUNCTIONS, 6);
		u->functions_req = (struct fmp_functions_req){.slot = FMP_SLOT_NONE, .cursor = 17,
							      .max = 256};
		break;
	case 11:
		resp(m, FMP_OP_GET_FUNCTIONS, 6);
		u->functions_resp.next_cursor = 19;
		u->functions_resp.count = 2;
		u->functions_resp.fns = (struct fmp_function_info *)sample_fns;
		break;
	case 12:
		req(m, FMP_OP_READ_CONFIG, 7);
		u->read_config_req = (struct fmp_read_config_req){
			.target = FMP_CFG_CHASSIS, .fn = {1, 0, 3}, .offset = 0, .length = 4096};
		break;
	case 13:
		resp(m, FMP_OP_READ_CONFIG, 7);
		u->read_config_resp = (struct fmp_read_config_resp){0, 4096, sample_config};
		break;
	case 14:
		req(m, FMP_OP_READ_CONFIG, 8);
		u->read_config_req = (struct fmp_read_config_req){
			.target = FMP_CFG_HOST, .fn = {FMP_SLOT_NONE, 0, FMP_VF_NONE}, .port = 2,
			.bus = 3, .devfn = 0, .offset = 0x100, .length = 64};
		break;
	case 15:
		req(m, FMP_OP_SET_NUM_VFS, 9);
		u->set_num_vfs_req = (struct fmp_set_num_vfs_req){1, 0, 16};
		break;
	case 16:
		resp(m, FMP_OP_SET_NUM_VFS, 9);
		u->set_num_vfs_resp = (struct fmp_set_num_vfs_resp){16, 64};
		break;
	case 17:
		req(m, FMP_OP_BIND, 10);
		u->bind_req = (struct fmp_bind_req){{1, 0, 3}, 2, FMP_VPPB_ANY};
		break;
	case 18:
		resp(m, FMP_OP_BIND, 10);
		u->bind_resp = (struct fmp_bind_resp){2, 1, 4, 0};
		break;
	case 19:
		req(m, FMP_OP_UNBIND, 11);
		u->unbind_req = (struct fmp_unbind_req){{1, 0, 3}, FMP_UNBIND_MANAGED, 5000};
		break;
	case 20:
		resp(m, FMP_OP_UNBIND, 11);
		u->unbind_resp = (struct fmp_unbind_resp){2, 1};
		break;
	case 21:
		req(m, FMP_OP_GET_VH, 12);
		u->vh_req.port = 2;
		break;
	case 22:
		resp(m, FMP_OP_GET_VH, 12);
		u->vh_resp = (struct fmp_vh_resp){2, FMP_PORT_F_LINK_UP, 1, 2,
						  (struct fmp_vppb_info *)sample_vppbs};
		break;
	case 23:
		req(m, FMP_OP_PORT_CONTROL, 13);
		u->port_control_req = (struct fmp_port_control_req){FMP_PC_SLOT_POWER_OFF, 3};
		break;
	case 24:
		resp(m, FMP_OP_PORT_CONTROL, 13);
		u->port_control_resp = (struct fmp_port_control_resp){3, FMP_SLOT_F_PRESENT};
		break;
	case 25:
		req(m, FMP_OP_SUBSCRIBE, 14);
		u->subscribe_req.mask = FMP_EVMASK_ALL;
		break;
	case 26:
		resp(m, FMP_OP_SUBSCRIBE, 14);
		u->subscribe_resp.event_seq = 1234567;
		break;
	case 27:
		m->hdr.kind = FMP_KIND_EVENT;
		m->hdr.opcode = FMP_OP_EVENT;
		u->event = (struct fmp_event){
			.seq = 99, .time_ns = 1764040000123456789ull, .type = FMP_EV_UNBIND_DONE,
			.reason = FMP_EVR_SURPRISE, .port = 2, .vppb = 1, .slot = 1,
			.fn = {1, 0, 3}, .detail = 0};
		break;
	case 28: /* an error response: status set, empty payload */
		resp(m, FMP_OP_BIND, 15);
		m->hdr.status = FMP_E_BUSY;
		break;
	case 29: /* an empty list */
		resp(m, FMP_OP_GET_FUNCTIONS, 16);
		u->functions_resp.next_cursor = FMP_CURSOR_END;
		break;
	case 30:
		req(m, FMP_OP_SET_QOS, 17);
		u->qos_set_req = (struct fmp_qos_set_req){{1, 0, 3}, 2500, 10000};
		break;
	case 31:
		resp(m, FMP_OP_SET_QOS, 17);
		u->qos_set_resp = (struct fmp_qos_set_req){{1, 0, 3}, 2500, 0};
		break;
	case 32:
		req(m, FMP_OP_GET_QOS, 18);
		u->qos_get_req.fn = (struct fmp_fn_addr){300, 1, FMP_VF_NONE};
		break;
	case 33:
		resp(m, FMP_OP_GET_QOS, 18);
		u->qos_get_resp = (struct fmp_qos_get_resp){
			.fn = {1, 0, 3}, .flags = FMP_QOS_F_BOUND | FMP_QOS_F_FLOOR_HELD,
			.min_mbps = 2500, .max_mbps = 10000, .offered_mbps = 40000,
			.achieved_mbps = 9999, .bytes = 0x0123456789abull,
			.time_ns = 1764040000123456789ull};
		break;
	}
}

size_t fmp_sample_count(void)
{
	return 34;
}

void fmp_sample_get(size_t i, struct fmp_msg *m)
{
	fill_config();
	memset(m, 0, sizeof(*m));
	build(i, m);
}

int fmp_sample_encode(size_t i, struct fmp_buf *out)
{
	struct fmp_msg m;

	fmp_sample_get(i, &m);
	return fmp_msg_encode(&m, out);
}
