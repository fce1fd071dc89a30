/* SPDX-License-Identifier: MIT */
/*
 * The kernel log from the printk ring buffer (Linux 5.10+,
 * kernel/printk/printk_ringbuffer.h), using only the layout VMCOREINFO
 * exports, so it works without any debug info.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../arch/arch.h"
#include "internal.h"

/* enum desc_state in printk_ringbuffer.h. */
#define DESC_COMMITTED 1
#define DESC_FINALIZED 2
/* Bounds a corrupt ring cannot exceed. */
#define MAX_COUNT_BITS 24
#define MAX_SIZE_BITS 30

struct prb_layout {
	int64_t desc_ring, text_ring;			/* in printk_ringbuffer */
	int64_t count_bits, descs, infos, head_id, tail_id;	/* prb_desc_ring */
	int64_t desc_size, state_var, text_lpos;	/* prb_desc */
	int64_t lpos_begin, lpos_next;			/* prb_data_blk_lpos */
	int64_t info_size, seq, ts_nsec, text_len;	/* printk_info */
	int64_t size_bits, data;			/* prb_data_ring */
};

struct prb {
	struct vmcore *vc;
	struct prb_layout l;
	unsigned word;
	uint64_t descs, infos, data;
	uint64_t desc_mask, data_size, id_mask;
	uint64_t head_id, tail_id;
};

static const struct {
	const char *key;
	size_t off;
} layout_keys[] = {
#define K(key, field) { key, offsetof(struct prb_layout, field) }
	K("OFFSET(printk_ringbuffer.desc_ring)", desc_ring),
	K("OFFSET(printk_ringbuffer.text_data_ring)", text_ring),
	K("OFFSET(prb_desc_ring.count_bits)", count_bits),
	K("OFFSET(prb_desc_ring.descs)", descs),
	K("OFFSET(prb_desc_ring.infos)", infos),
	K("OFFSET(prb_desc_ring.head_id)", head_id),
	K("OFFSET(prb_desc_ring.tail_id)", tail_id),
	K("SIZE(prb_desc)", desc_size),
	K("OFFSET(prb_desc.state_var)", state_var),
	K("OFFSET(prb_desc.text_blk_lpos)", text_lpos),
	K("OFFSET(prb_data_blk_lpos.begin)", lpos_begin),
	K("OFFSET(prb_data_blk_lpos.next)", lpos_next),
	K("SIZE(printk_info)", info_size),
	K("OFFSET(printk_info.seq)", seq),
	K("OFFSET(printk_info.ts_nsec)", ts_nsec),
	K("OFFSET(printk_info.text_len)", text_len),
	K("OFFSET(prb_data_ring.size_bits)", size_bits),
	K("OFFSET(prb_data_ring.data)", data),
#undef K
};

static struct vmc_error *read_uint(struct prb *p, uint64_t addr, unsigned size,
				   uint64_t *ret)
{
	struct vmc_error *err = vmcore_read_uint(p->vc, addr, size, ret);

	return err ? vmc_error_prefix(err, "kernel log: ") : NULL;
}

static struct vmc_error *read_layout(struct prb *p)
{
	struct vmc_error *err;

	for (size_t i = 0; i < sizeof(layout_keys) / sizeof(layout_keys[0]); i++) {
		int64_t *field = (int64_t *)((char *)&p->l + layout_keys[i].off);

		err = vmcore_vmcoreinfo_dec(p->vc, layout_keys[i].key, field);
		if (err)
			return vmc_error_prefix(err, "kernel log: ");
	}
	return NULL;
}

static struct vmc_error *read_rings(struct prb *p, uint64_t rb)
{
	uint64_t desc_ring = rb + (uint64_t)p->l.desc_ring;
	uint64_t text_ring = rb + (uint64_t)p->l.text_ring;
	uint64_t count_bits = 0, size_bits = 0;
	struct vmc_error *err;

	if ((err = read_uint(p, desc_ring + p->l.count_bits, 4, &count_bits)) ||
	    (err = read_uint(p, desc_ring + p->l.descs, p->word, &p->descs)) ||
	    (err = read_uint(p, desc_ring + p->l.infos, p->word, &p->infos)) ||
	    (err = read_uint(p, desc_ring + p->l.head_id, p->word, &p->head_id)) ||
	    (err = read_uint(p, desc_ring + p->l.tail_id, p->word, &p->tail_id)) ||
	    (err = read_uint(p, text_ring + p->l.size_bits, 4, &size_bits)) ||
	    (err = read_uint(p, text_ring + p->l.data, p->word, &p->data)))
		return err;
	if (count_bits > MAX_COUNT_BITS || size_bits > MAX_SIZE_BITS)
		return vmc_error_create(VMC_ERR_FORMAT,
			"kernel log: implausible ring sizes (2^%" PRIu64
			" descriptors, 2^%" PRIu64 " bytes)", count_bits,
			size_bits);
	p->desc_mask = (UINT64_C(1) << count_bits) - 1;
	p->data_size = UINT64_C(1) << size_bits;
	/* The top two bits of state_var hold the state, the rest the id. */
	p->id_mask = UINT64_MAX >> (64 - 8 * p->word + 2);
	return NULL;
}

static struct vmc_error *prb_init(struct vmcore *vc, struct prb *p)
{
	uint64_t prb_sym, rb;
	struct vmc_error *err;

	memset(p, 0, sizeof(*p));
	p->vc = vc;
	p->word = vc->arch->word_size;
	err = vmcore_vmcoreinfo_hex(vc, "SYMBOL(prb)", &prb_sym);
	if (err)
		return vmc_error_prefix(err, "kernel log (Linux 5.10+ printk "
					"ring buffer): ");
	if ((err = read_layout(p)) ||
	    (err = read_uint(p, prb_sym, p->word, &rb)))
		return err;
	return read_rings(p, rb);
}

/* Text of record ID, or NULL (data-less, or not readable). */
static struct vmc_error *record_text(struct prb *p, uint64_t desc,
				     uint16_t len, char *buf, bool *ok)
{
	uint64_t begin, next, off;
	struct vmc_error *err;

	*ok = false;
	if ((err = read_uint(p, desc + p->l.text_lpos + p->l.lpos_begin,
			     p->word, &begin)) ||
	    (err = read_uint(p, desc + p->l.text_lpos + p->l.lpos_next,
			     p->word, &next)))
		return err;
	if (begin & 1)	/* data-less record (FAILED_LPOS / NO_LPOS) */
		return NULL;
	off = begin % p->data_size;
	/* A block that wraps is stored whole at the start of the ring. */
	if (begin / p->data_size != next / p->data_size)
		off = 0;
	if (off + p->word + len > p->data_size)
		return NULL;
	err = vmcore_read_virt(p->vc, p->data + off + p->word, buf, len, NULL);
	if (err) {
		vmc_error_destroy(err);
		return NULL;
	}
	*ok = true;
	return NULL;
}

static struct vmc_error *emit_record(struct prb *p, uint64_t id,
				     vmc_dmesg_fn *fn, void *arg, bool *stop)
{
	uint64_t desc = p->descs + (id & p->desc_mask) * (uint64_t)p->l.desc_size;
	uint64_t info = p->infos + (id & p->desc_mask) * (uint64_t)p->l.info_size;
	uint64_t state_var = 0, seq = 0, ts = 0, len = 0;
	char text[65536];
	struct vmc_error *err;
	bool ok;

	if ((err = read_uint(p, desc + p->l.state_var, p->word, &state_var)))
		return err;
	state_var >>= 8 * p->word - 2;
	if (state_var != DESC_COMMITTED && state_var != DESC_FINALIZED)
		return NULL;
	if ((err = read_uint(p, info + p->l.seq, 8, &seq)) ||
	    (err = read_uint(p, info + p->l.ts_nsec, 8, &ts)) ||
	    (err = read_uint(p, info + p->l.text_len, 2, &len)) ||
	    (err = record_text(p, desc, (uint16_t)len, text, &ok)))
		return err;
	if (ok)
		*stop = fn(arg, seq, ts, text, (size_t)len) != 0;
	return NULL;
}

struct vmc_error *vmcore_dmesg(struct vmcore *vc, vmc_dmesg_fn *fn, void *arg)
{
	struct prb p;
	struct vmc_error *err = prb_init(vc, &p);
	uint64_t id, n = 0;
	bool stop = false;

	if (err)
		return err;
	for (id = p.tail_id & p.id_mask; !stop; id = (id + 1) & p.id_mask) {
		if ((err = emit_record(&p, id, fn, arg, &stop)))
			return err;
		/* A corrupt head cannot make us loop forever. */
		if ((id & p.id_mask) == (p.head_id & p.id_mask) ||
		    ++n > p.desc_mask)
			break;
	}
	return NULL;
}
