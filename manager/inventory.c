/* inventory: the chassis model fabricd builds from discovery, and the name index that
 * resolves operator spellings in O(1). Names are indexed per chassis with a kind prefix
 * ("f:" function, "c:" card, "h:" host) so "web1" the host and a card called "web1" never
 * collide. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"
#include "inventory.h"
#include "pci_decode.h"

struct fm_inv {
	struct fm_chassis **chassis;
	unsigned n_chassis;
	fm_inv_host_name_fn rename;
	void *rename_arg;
};

struct fm_inv *fm_inv_new(fm_inv_host_name_fn rename, void *rename_arg)
{
	struct fm_inv *inv = calloc(1, sizeof(*inv));

	if (!inv)
		return NULL;
	inv->rename = rename;
	inv->rename_arg = rename_arg;
	return inv;
}

static void free_card(struct fm_card *card)
{
	if (!card)
		return;
	for (unsigned i = 0; i < card->n_pfs; i++)
		free(card->pfs[i].fns);
	free(card);
}

void fm_inv_reset(struct fm_chassis *ch)
{
	for (unsigned i = 0; i < ch->n_slots; i++)
		free_card(ch->slots[i].card);
	free(ch->slots);
	free(ch->hosts);
	ch->slots = NULL;
	ch->hosts = NULL;
	ch->n_slots = ch->n_hosts = ch->n_functions = 0;
	ch->discovered = false;
	ch->stale = false;
	ch->generation++;
	fm_index_free(ch->names);
	ch->names = fm_index_new(64);
}

void fm_inv_free(struct fm_inv *inv)
{
	if (!inv)
		return;
	for (unsigned i = 0; i < inv->n_chassis; i++) {
		fm_inv_reset(inv->chassis[i]);
		fm_index_free(inv->chassis[i]->names);
		free(inv->chassis[i]);
	}
	free(inv->chassis);
	free(inv);
}

struct fm_chassis *fm_inv_add_chassis(struct fm_inv *inv, const char *name)
{
	struct fm_chassis **v, *ch = calloc(1, sizeof(*ch));

	if (!ch)
		return NULL;
	v = realloc(inv->chassis, (inv->n_chassis + 1) * sizeof(*v));
	if (!v) {
		free(ch);
		return NULL;
	}
	inv->chassis = v;
	ch->inv = inv;
	snprintf(ch->name, sizeof(ch->name), "%s", name);
	ch->names = fm_index_new(64);
	if (!ch->names) {
		free(ch);
		return NULL;
	}
	inv->chassis[inv->n_chassis++] = ch;
	return ch;
}

unsigned fm_inv_chassis_count(const struct fm_inv *inv)
{
	return inv->n_chassis;
}

struct fm_chassis *fm_inv_chassis_at(const struct fm_inv *inv, unsigned i)
{
	return i < inv->n_chassis ? inv->chassis[i] : NULL;
}

struct fm_chassis *fm_inv_chassis(const struct fm_inv *inv, const char *name)
{
	for (unsigned i = 0; i < inv->n_chassis; i++)
		if (!strcmp(inv->chassis[i]->name, name))
			return inv->chassis[i];
	return NULL;
}

static int index_put(struct fm_chassis *ch, char kind, const char *name, void *value)
{
	char key[FM_FN_NAME_MAX + 4];

	snprintf(key, sizeof(key), "%c:%s", kind, name);
	return fm_index_put(ch->names, key, value);
}

static void index_del(struct fm_chassis *ch, char kind, const char *name)
{
	char key[FM_FN_NAME_MAX + 4];

	snprintf(key, sizeof(key), "%c:%s", kind, name);
	fm_index_del(ch->names, key);
}

int fm_inv_set_ports(struct fm_chassis *ch, const struct fmp_ports_resp *r, char *err,
		     size_t errlen)
{
	struct fm_host *hosts = calloc(r->count ? r->count : 1, sizeof(*hosts));

	if (!hosts) {
		snprintf(err, errlen, "%s: out of memory", ch->name);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < ch->n_hosts; i++)
		index_del(ch, 'h', ch->hosts[i].name);
	free(ch->hosts);
	ch->hosts = hosts;
	ch->n_hosts = r->count;
	for (unsigned i = 0; i < r->count; i++) {
		const struct fmp_port_info *p = &r->ports[i];
		struct fm_host *h = &hosts[i];
		const char *name = NULL;

		h->chassis = ch;
		h->port = p->port;
		h->link_up = p->flags & FMP_PORT_F_LINK_UP;
		h->width = p->width;
		h->speed = p->speed;
		h->n_vppb = p->n_vppb > 32 ? 32 : p->n_vppb;
		h->usp_bus = p->usp_bus;
		snprintf(h->sw_name, sizeof(h->sw_name), "%s", p->name);
		if (ch->inv->rename)
			name = ch->inv->rename(ch->inv->rename_arg, ch->name, p->port, p->name);
		snprintf(h->name, sizeof(h->name), "%s", name ? name : p->name);
		if (index_put(ch, 'h', h->name, h)) {
			snprintf(err, errlen, "%s: out of memory", ch->name);
			return -ENOMEM;
		}
	}
	return 0;
}

int fm_inv_set_slots(struct fm_chassis *ch, const struct fmp_slots_resp *r, char *err,
		     size_t errlen)
{
	struct fm_slot *slots = calloc(r->count ? r->count : 1, sizeof(*slots));

	if (!slots) {
		snprintf(err, errlen, "%s: out of memory", ch->name);
		return -ENOMEM;
	}
	/* cards are re-read after this: drop the old ones */
	for (unsigned i = 0; i < ch->n_slots; i++)
		if (ch->slots[i].card)
			fm_inv_remove_card(ch, ch->slots[i].slot);
	free(ch->slots);
	ch->slots = slots;
	ch->n_slots = r->count;
	for (unsigned i = 0; i < r->count; i++) {
		slots[i].slot = r->slots[i].slot;
		slots[i].flags = r->slots[i].flags;
		snprintf(slots[i].label, sizeof(slots[i].label), "%s", r->slots[i].label);
	}
	return 0;
}

static struct fm_slot *slot_of(const struct fm_chassis *ch, uint16_t slot)
{
	for (unsigned i = 0; i < ch->n_slots; i++)
		if (ch->slots[i].slot == slot)
			return &ch->slots[i];
	return NULL;
}

/* Indexes a function under the card's name and under slotK. */
static int index_fn(struct fm_chassis *ch, struct fm_card *card, struct fm_fn *fn, bool add)
{
	char alias[FM_FN_NAME_MAX];
	const char *rest = fn->name + strlen(card->name); /* "/pf0/vf3" */

	snprintf(alias, sizeof(alias), "slot%u%s", card->slot, rest);
	if (!add) {
		index_del(ch, 'f', fn->name);
		index_del(ch, 'f', alias);
		return 0;
	}
	if (index_put(ch, 'f', fn->name, fn))
		return -ENOMEM;
	if (strcmp(alias, fn->name) && index_put(ch, 'f', alias, fn))
		return -ENOMEM;
	return 0;
}

int fm_inv_set_card(struct fm_chassis *ch, const struct fmp_card_resp *r, char *err,
		    size_t errlen)
{
	struct fm_slot *s = slot_of(ch, r->slot);
	struct fm_card *card;
	char alias[32];

	if (!s) {
		snprintf(err, errlen, "%s: card in unknown slot %u", ch->name, r->slot);
		return -EINVAL;
	}
	if (s->card)
		fm_inv_remove_card(ch, r->slot);
	/* a card is what the intent store keys bindings by: refuse what cannot be one card */
	for (unsigned p = 0; p < r->n_pfs; p++) {
		if (r->pfs[p].total_vfs > FM_INV_MAX_VFS) {
			snprintf(err, errlen, "%s: slot %u: PF %u claims %u VFs (more than %u)",
				 ch->name, r->slot, p, r->pfs[p].total_vfs, FM_INV_MAX_VFS);
			return -EINVAL;
		}
	}
	{
		char serial[32];
		struct fm_card *other;

		fm_pci_dsn_format(r->dsn, serial, sizeof(serial));
		other = fm_inv_card_by_serial(ch, serial);
		if (other) {
			snprintf(err, errlen, "%s: slot %u: serial %s is already the card in slot %u",
				 ch->name, r->slot, serial, other->slot);
			return -EINVAL;
		}
	}
	card = calloc(1, sizeof(*card));
	if (!card)
		goto nomem;
	card->chassis = ch;
	card->slot = r->slot;
	if (r->name[0])
		snprintf(card->name, sizeof(card->name), "%s", r->name);
	else
		snprintf(card->name, sizeof(card->name), "slot%u", r->slot);
	snprintf(card->profile, sizeof(card->profile), "%s", r->profile);
	card->dsn = r->dsn;
	fm_pci_dsn_format(r->dsn, card->serial, sizeof(card->serial));
	card->sharing = r->sharing;
	card->vendor = r->vendor;
	card->subsys_vendor = r->subsys_vendor;
	card->subsys_device = r->subsys_device;
	card->class_code = r->class_code;
	card->n_pfs = r->n_pfs;
	s->card = card;
	for (unsigned p = 0; p < r->n_pfs; p++) {
		const struct fmp_pf_info *in = &r->pfs[p];
		struct fm_pf *pf = &card->pfs[p];
		unsigned n = 1u + in->total_vfs;

		pf->device = in->device;
		pf->total_vfs = in->total_vfs;
		pf->num_vfs = in->num_vfs > in->total_vfs ? in->total_vfs : in->num_vfs;
		pf->vf_device = in->vf_device;
		pf->vf_offset = in->vf_offset;
		pf->vf_stride = in->vf_stride;
		pf->fns = calloc(n, sizeof(*pf->fns));
		if (!pf->fns)
			goto nomem;
		for (unsigned i = 0; i < n; i++) {
			struct fm_fn *fn = &pf->fns[i];

			fn->card = card;
			fn->pf = (uint8_t)p;
			fn->vf = i ? (uint16_t)(i - 1) : FMP_VF_NONE;
			fn->vendor = card->vendor;
			fn->device = i ? in->vf_device : in->device;
			fn->class_code = card->class_code;
			fn->enabled = i == 0 || i - 1 < in->num_vfs;
			fn->sw_state = FMP_BIND_UNBOUND;
			fn->sw_port = FMP_PORT_NONE;
			fn->sw_vppb = FMP_VPPB_NONE;
			if (i)
				snprintf(fn->name, sizeof(fn->name), "%s/pf%u/vf%u", card->name, p, i - 1);
			else
				snprintf(fn->name, sizeof(fn->name), "%s/pf%u", card->name, p);
			if (index_fn(ch, card, fn, true))
				goto nomem;
			ch->n_functions++;
		}
	}
	if (index_put(ch, 'c', card->name, card))
		goto nomem;
	snprintf(alias, sizeof(alias), "slot%u", card->slot);
	if (index_put(ch, 'c', alias, card))
		goto nomem;
	return 0;
nomem:
	snprintf(err, errlen, "%s: out of memory reading slot %u", ch->name, r->slot);
	return -ENOMEM;
}

void fm_inv_remove_card(struct fm_chassis *ch, uint16_t slot)
{
	struct fm_slot *s = slot_of(ch, slot);
	struct fm_card *card;
	char alias[32];

	if (!s || !s->card)
		return;
	card = s->card;
	for (unsigned p = 0; p < card->n_pfs; p++) {
		unsigned n = 1u + card->pfs[p].total_vfs;

		for (unsigned i = 0; card->pfs[p].fns && i < n; i++) {
			index_fn(ch, card, &card->pfs[p].fns[i], false);
			ch->n_functions--;
		}
	}
	index_del(ch, 'c', card->name);
	snprintf(alias, sizeof(alias), "slot%u", card->slot);
	index_del(ch, 'c', alias);
	free_card(card);
	s->card = NULL;
}

struct fm_slot *fm_inv_slot(const struct fm_chassis *ch, uint16_t slot)
{
	return slot_of(ch, slot);
}

struct fm_card *fm_inv_card_by_slot(const struct fm_chassis *ch, uint16_t slot)
{
	struct fm_slot *s = slot_of(ch, slot);

	return s ? s->card : NULL;
}

struct fm_card *fm_inv_card_by_serial(const struct fm_chassis *ch, const char *serial)
{
	for (unsigned i = 0; i < ch->n_slots; i++)
		if (ch->slots[i].card && !strcmp(ch->slots[i].card->serial, serial))
			return ch->slots[i].card;
	return NULL;
}

struct fm_fn *fm_inv_fn_at(const struct fm_card *card, uint8_t pf, uint16_t vf)
{
	if (!card || pf >= card->n_pfs || !card->pfs[pf].fns)
		return NULL;
	if (vf == FMP_VF_NONE)
		return &card->pfs[pf].fns[0];
	if (vf >= card->pfs[pf].total_vfs)
		return NULL;
	return &card->pfs[pf].fns[1 + vf];
}

struct fm_fn *fm_inv_fn_by_addr(const struct fm_chassis *ch, const struct fmp_fn_addr *a)
{
	return fm_inv_fn_at(fm_inv_card_by_slot(ch, a->slot), a->pf, a->vf);
}

struct fm_host *fm_inv_host_by_port(const struct fm_chassis *ch, uint8_t port)
{
	for (unsigned i = 0; i < ch->n_hosts; i++)
		if (ch->hosts[i].port == port)
			return &ch->hosts[i];
	return NULL;
}

void fm_inv_update_function(struct fm_chassis *ch, const struct fmp_function_info *f)
{
	struct fm_fn *fn = fm_inv_fn_by_addr(ch, &f->fn);

	if (!fn)
		return;
	fn->rid = f->rid;
	fn->vendor = f->vendor;
	fn->device = f->device;
	fn->class_code = f->class_code;
	fn->enabled = true;
	fn->sw_state = f->bind_state;
	fn->sw_port = f->port;
	fn->sw_vppb = f->vppb;
}

void fm_inv_set_vh(struct fm_chassis *ch, const struct fmp_vh_resp *r)
{
	struct fm_host *h = fm_inv_host_by_port(ch, r->port);
	unsigned n;

	if (!h)
		return;
	n = r->count > 32 ? 32 : r->count;
	h->link_up = r->flags & FMP_PORT_F_LINK_UP;
	h->usp_bus = r->usp_bus;
	memset(h->vppb, 0, sizeof(h->vppb));
	for (unsigned i = 0; i < n; i++)
		h->vppb[i] = r->vppbs[i];
	h->n_vppb_known = (uint8_t)n;
}

unsigned fm_host_free_vppbs(const struct fm_host *h)
{
	unsigned used = 0;

	for (unsigned i = 0; i < h->n_vppb_known; i++)
		used += h->vppb[i].bind_state != FMP_BIND_UNBOUND;
	return h->n_vppb > used ? h->n_vppb - used : 0;
}

unsigned fm_card_fn_count(const struct fm_card *card)
{
	unsigned n = 0;

	for (unsigned p = 0; p < card->n_pfs; p++)
		n += 1u + card->pfs[p].total_vfs;
	return n;
}

void fm_fn_binding_pf_vf(const struct fm_fn *fn, int *pf, int *vf)
{
	if (fn->card->sharing == FMP_SHARING_EXCLUSIVE) {
		*pf = 0;
		*vf = -1;
	} else {
		*pf = fn->pf;
		*vf = fn->vf == FMP_VF_NONE ? -1 : fn->vf;
	}
}

struct fmp_fn_addr fm_fn_addr(const struct fm_fn *fn)
{
	struct fmp_fn_addr a = {fn->card->slot, fn->pf, fn->vf};

	return a;
}

/* Splits "CHASSIS:rest"; returns the chassis or NULL (and rest = name) when unprefixed.
 * *bad is set when a prefix names no chassis. */
static struct fm_chassis *split_prefix(const struct fm_inv *inv, const char *name,
				       const char **rest, bool *bad)
{
	const char *colon = strchr(name, ':');
	char cname[FM_NAME_MAX];
	size_t n;

	*rest = name;
	*bad = false;
	if (!colon)
		return NULL;
	n = (size_t)(colon - name);
	if (n >= sizeof(cname)) {
		*bad = true;
		return NULL;
	}
	memcpy(cname, name, n);
	cname[n] = '\0';
	*rest = colon + 1;
	if (!fm_inv_chassis(inv, cname)) {
		*bad = true;
		return NULL;
	}
	return fm_inv_chassis(inv, cname);
}

bool fm_inv_prefix_unknown(const struct fm_inv *inv, const char *name)
{
	const char *rest;
	bool bad;

	split_prefix(inv, name, &rest, &bad);
	return bad;
}

static void *find(const struct fm_inv *inv, char kind, const char *name, bool *ambiguous)
{
	char key[FM_FN_NAME_MAX + 4];
	const char *rest;
	struct fm_chassis *ch;
	bool bad;
	void *found = NULL;

	if (ambiguous)
		*ambiguous = false;
	ch = split_prefix(inv, name, &rest, &bad);
	if (bad || strlen(rest) >= FM_FN_NAME_MAX)
		return NULL;
	snprintf(key, sizeof(key), "%c:%s", kind, rest);
	if (ch)
		return fm_index_get(ch->names, key);
	for (unsigned i = 0; i < inv->n_chassis; i++) {
		void *v = fm_index_get(inv->chassis[i]->names, key);

		if (v && found) {
			if (ambiguous)
				*ambiguous = true;
			return NULL;
		}
		if (v)
			found = v;
	}
	return found;
}

struct fm_fn *fm_inv_find_fn(const struct fm_inv *inv, const char *name, bool *ambiguous)
{
	return find(inv, 'f', name, ambiguous);
}

struct fm_card *fm_inv_find_card(const struct fm_inv *inv, const char *name, bool *ambiguous)
{
	return find(inv, 'c', name, ambiguous);
}

struct fm_host *fm_inv_find_host(const struct fm_inv *inv, const char *name, bool *ambiguous)
{
	return find(inv, 'h', name, ambiguous);
}
