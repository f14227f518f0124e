/* FMP status codes, opcode and enum names: the closed sets of the wire format as text. */
#include <fmp/fmp.h>

static const struct {
	const char *name;
	const char *text;
} status_table[FMP_STATUS_COUNT] = {
	[FMP_OK] = {"FMP_OK", "success"},
	[FMP_E_BAD_FRAME] = {"FMP_E_BAD_FRAME", "malformed frame"},
	[FMP_E_VERSION] = {"FMP_E_VERSION", "no common protocol version"},
	[FMP_E_UNSUPPORTED] = {"FMP_E_UNSUPPORTED", "unsupported opcode or kind"},
	[FMP_E_INVALID] = {"FMP_E_INVALID", "invalid argument"},
	[FMP_E_TOO_BIG] = {"FMP_E_TOO_BIG", "frame exceeds the negotiated size"},
	[FMP_E_NO_SUCH_PORT] = {"FMP_E_NO_SUCH_PORT", "no such host port"},
	[FMP_E_NO_SUCH_SLOT] = {"FMP_E_NO_SUCH_SLOT", "no such slot"},
	[FMP_E_EMPTY_SLOT] = {"FMP_E_EMPTY_SLOT", "slot is empty"},
	[FMP_E_NO_SUCH_FUNCTION] = {"FMP_E_NO_SUCH_FUNCTION", "no such function"},
	[FMP_E_BUSY] = {"FMP_E_BUSY", "function is bound to another host"},
	[FMP_E_NO_VPPB] = {"FMP_E_NO_VPPB", "no free vPPB on the host port"},
	[FMP_E_LINK_DOWN] = {"FMP_E_LINK_DOWN", "host link is down"},
	[FMP_E_SHARING_MODE] = {"FMP_E_SHARING_MODE", "card sharing mode forbids this"},
	[FMP_E_NOT_BOUND] = {"FMP_E_NOT_BOUND", "function is not bound"},
	[FMP_E_VF_BOUND] = {"FMP_E_VF_BOUND", "a bound VF would be removed"},
	[FMP_E_IN_PROGRESS] = {"FMP_E_IN_PROGRESS", "another operation is in progress"},
	[FMP_E_TIMEOUT] = {"FMP_E_TIMEOUT", "host did not complete the hotplug handshake"},
	[FMP_E_POWER] = {"FMP_E_POWER", "slot is powered off or faulted"},
	[FMP_E_INJECTED] = {"FMP_E_INJECTED", "injected fault"},
	[FMP_E_INTERNAL] = {"FMP_E_INTERNAL", "internal switch error"},
	[FMP_E_NOMEM] = {"FMP_E_NOMEM", "out of memory"},
	[FMP_E_AGAIN] = {"FMP_E_AGAIN", "incomplete frame"},
	[FMP_E_BUS_RANGE] = {"FMP_E_BUS_RANGE",
			     "the function's VFs need more buses than its vPPB reserves"},
};

static int status_index(int status)
{
	if (status < 0)
		status = -status;
	return status < FMP_STATUS_COUNT ? status : -1;
}

const char *fmp_strerror(int status)
{
	int i = status_index(status);

	return i < 0 ? "unknown status" : status_table[i].text;
}

const char *fmp_status_name(int status)
{
	int i = status_index(status);

	return i < 0 ? "FMP_E_UNKNOWN" : status_table[i].name;
}

const char *fmp_opcode_name(uint16_t op)
{
	switch (op) {
	case FMP_OP_HELLO: return "HELLO";
	case FMP_OP_PING: return "PING";
	case FMP_OP_GET_PORTS: return "GET_PORTS";
	case FMP_OP_GET_SLOTS: return "GET_SLOTS";
	case FMP_OP_GET_CARD: return "GET_CARD";
	case FMP_OP_GET_FUNCTIONS: return "GET_FUNCTIONS";
	case FMP_OP_READ_CONFIG: return "READ_CONFIG";
	case FMP_OP_SET_NUM_VFS: return "SET_NUM_VFS";
	case FMP_OP_BIND: return "BIND";
	case FMP_OP_UNBIND: return "UNBIND";
	case FMP_OP_GET_VH: return "GET_VH";
	case FMP_OP_SET_QOS: return "SET_QOS";
	case FMP_OP_GET_QOS: return "GET_QOS";
	case FMP_OP_PORT_CONTROL: return "PORT_CONTROL";
	case FMP_OP_SUBSCRIBE: return "SUBSCRIBE";
	case FMP_OP_EVENT: return "EVENT";
	}
	return "UNKNOWN";
}

const char *fmp_event_type_name(uint16_t type)
{
	static const char *const names[FMP_EV_TYPE_COUNT] = {
		[FMP_EV_SLOT_PRESENCE] = "slot-presence",
		[FMP_EV_ATTN_BUTTON] = "attention-button",
		[FMP_EV_LINK_STATE] = "link-state",
		[FMP_EV_POWER_FAULT] = "power-fault",
		[FMP_EV_BIND_DONE] = "bind-done",
		[FMP_EV_UNBIND_DONE] = "unbind-done",
		[FMP_EV_SWITCH_RESET] = "switch-reset",
		[FMP_EV_NUM_VFS] = "num-vfs",
	};

	return type < FMP_EV_TYPE_COUNT && names[type] ? names[type] : "unknown";
}

const char *fmp_sharing_name(uint8_t sharing)
{
	switch (sharing) {
	case FMP_SHARING_EXCLUSIVE: return "exclusive";
	case FMP_SHARING_SRIOV: return "sr-iov";
	case FMP_SHARING_MRIOV: return "mr-iov";
	}
	return "unknown";
}

const char *fmp_bind_state_name(uint8_t state)
{
	switch (state) {
	case FMP_BIND_UNBOUND: return "unbound";
	case FMP_BIND_BINDING: return "binding";
	case FMP_BIND_BOUND: return "bound";
	case FMP_BIND_UNBINDING: return "unbinding";
	}
	return "unknown";
}
