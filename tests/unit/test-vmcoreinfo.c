/* SPDX-License-Identifier: MIT */
/* VMCOREINFO text: vmcoreinfo_parse/get/get_hex/get_dec. */
#include <stdio.h>
#include <stdlib.h>

#include "../../libvmcore/vmcoreinfo.h"
#include "unit.h"

/* Shaped after a Debian 6.1 cloud kernel's note (kernel/crash_core.c,
 * arch/x86/kernel/crash.c). */
static const char real_text[] =
	"OSRELEASE=6.1.0-56-cloud-amd64\n"
	"BUILD-ID=0f2b8a5d2ac6b1d0b8ad7a5cd9e0a4d7b6f36c11\n"
	"PAGESIZE=4096\n"
	"SYMBOL(init_uts_ns)=ffffffff9e014180\n"
	"OFFSET(uts_namespace.name)=0\n"
	"SYMBOL(node_online_map)=ffffffff9e0e3ae0\n"
	"SYMBOL(swapper_pg_dir)=ffffffff9d40a000\n"
	"SYMBOL(_stext)=ffffffff9d000000\n"
	"SIZE(page)=64\n"
	"OFFSET(page.flags)=0\n"
	"LENGTH(zone.free_area)=11\n"
	"NUMBER(PG_head_mask)=65536\n"
	"NUMBER(phys_base)=-469762048\n"
	"SYMBOL(init_top_pgt)=ffffffff9d40a000\n"
	"NUMBER(pgtable_l5_enabled)=1\n"
	"KERNELOFFSET=1c000000\n"
	"NUMBER(KERNEL_IMAGE_SIZE)=1073741824\n"
	"CRASHTIME=1700000000\n";

static bool parse(const char *text, size_t len, struct vmcoreinfo *vi)
{
	return CHECK_OK(vmcoreinfo_parse(text, len, vi));
}

TEST(real_note)
{
	struct vmcoreinfo vi;
	uint64_t u = 0;
	int64_t d = 0;

	if (!parse(real_text, sizeof(real_text) - 1, &vi))
		return;
	CHECK_STR(vmcoreinfo_get(&vi, "OSRELEASE"), "6.1.0-56-cloud-amd64");
	CHECK_STR(vmcoreinfo_get(&vi, "PAGESIZE"), "4096");
	CHECK_STR(vmcoreinfo_get(&vi, "CRASHTIME"), "1700000000");
	CHECK_OK(vmcoreinfo_get_hex(&vi, "SYMBOL(swapper_pg_dir)", &u));
	CHECK_U64(u, 0xffffffff9d40a000);
	CHECK_OK(vmcoreinfo_get_hex(&vi, "KERNELOFFSET", &u));
	CHECK_U64(u, 0x1c000000);
	CHECK_OK(vmcoreinfo_get_dec(&vi, "NUMBER(phys_base)", &d));
	CHECK_I64(d, -469762048);
	CHECK_OK(vmcoreinfo_get_dec(&vi, "NUMBER(pgtable_l5_enabled)", &d));
	CHECK_I64(d, 1);
	CHECK_OK(vmcoreinfo_get_dec(&vi, "PAGESIZE", &d));
	CHECK_I64(d, 4096);
	CHECK_OK(vmcoreinfo_get_dec(&vi, "LENGTH(zone.free_area)", &d));
	CHECK_I64(d, 11);
	CHECK_OK(vmcoreinfo_get_dec(&vi, "OFFSET(page.flags)", &d));
	CHECK_I64(d, 0);
	/* Keys are exact: no prefix or case-insensitive matches. */
	CHECK_STR(vmcoreinfo_get(&vi, "SYMBOL(swapper_pg_di"), NULL);
	CHECK_STR(vmcoreinfo_get(&vi, "osrelease"), NULL);
	CHECK_STR(vmcoreinfo_get(&vi, "SYMBOL"), NULL);
	CHECK_U64(vi.len, sizeof(real_text) - 1);
	vmcoreinfo_deinit(&vi);
	CHECK(vi.text == NULL && vi.entries == NULL && vi.nentries == 0);
}

TEST(line_endings_and_padding)
{
	/* CRLF, no final newline, then NUL padding as in a padded note. */
	static const char text[] = "A=1\r\nB=two\r\n\r\nC=0x10\0\0\0\0";
	struct vmcoreinfo vi;
	uint64_t u;
	int64_t d;

	if (!parse(text, sizeof(text) - 1, &vi))
		return;
	CHECK_STR(vmcoreinfo_get(&vi, "A"), "1");
	CHECK_STR(vmcoreinfo_get(&vi, "B"), "two");
	CHECK_STR(vmcoreinfo_get(&vi, "C"), "0x10");
	CHECK_OK(vmcoreinfo_get_dec(&vi, "A", &d));
	CHECK_I64(d, 1);
	CHECK_OK(vmcoreinfo_get_hex(&vi, "C", &u));
	CHECK_U64(u, 0x10);
	CHECK_U64(vi.nentries, 3);
	vmcoreinfo_deinit(&vi);

	/* Text after the first NUL is not part of the note. */
	if (!parse("A=1\0B=2\n", 8, &vi))
		return;
	CHECK_STR(vmcoreinfo_get(&vi, "A"), "1");
	CHECK_STR(vmcoreinfo_get(&vi, "B"), NULL);
	vmcoreinfo_deinit(&vi);

	/* Nothing at all. */
	if (!parse("", 0, &vi))
		return;
	CHECK_U64(vi.nentries, 0);
	CHECK_STR(vmcoreinfo_get(&vi, "A"), NULL);
	vmcoreinfo_deinit(&vi);
}

TEST(odd_lines)
{
	static const char text[] =
		"no equals sign here\n"
		"=value without key\n"
		"EMPTY=\n"
		"EQ=a=b\n"
		"SPACE KEY=x\n"
		"DUP=first\n"
		"OTHER=1\n"
		"DUP=second\n"
		"\n";
	struct vmcoreinfo vi;
	uint64_t u = 7;
	int64_t d = 7;

	if (!parse(text, sizeof(text) - 1, &vi))
		return;
	CHECK_STR(vmcoreinfo_get(&vi, "no equals sign here"), NULL);
	CHECK_STR(vmcoreinfo_get(&vi, ""), NULL);
	CHECK_STR(vmcoreinfo_get(&vi, "EMPTY"), "");
	/* The value runs to the end of the line, '=' included. */
	CHECK_STR(vmcoreinfo_get(&vi, "EQ"), "a=b");
	CHECK_STR(vmcoreinfo_get(&vi, "SPACE KEY"), "x");
	/* A later duplicate wins, and is not listed twice. */
	CHECK_STR(vmcoreinfo_get(&vi, "DUP"), "second");
	CHECK_U64(vi.nentries, 5);
	/* An empty value is not a number. */
	CHECK_ERR(vmcoreinfo_get_hex(&vi, "EMPTY", &u), VMC_ERR_FORMAT,
		  "EMPTY");
	CHECK_ERR(vmcoreinfo_get_dec(&vi, "EMPTY", &d), VMC_ERR_FORMAT,
		  "EMPTY");
	CHECK_U64(u, 7);
	CHECK_I64(d, 7);
	vmcoreinfo_deinit(&vi);
}

TEST(missing_key)
{
	struct vmcoreinfo vi;
	uint64_t u;
	int64_t d;

	if (!parse(real_text, sizeof(real_text) - 1, &vi))
		return;
	CHECK_ERR(vmcoreinfo_get_hex(&vi, "SYMBOL(nope)", &u),
		  VMC_ERR_NOT_FOUND, "SYMBOL(nope)");
	CHECK_ERR(vmcoreinfo_get_dec(&vi, "NUMBER(sme_mask)", &d),
		  VMC_ERR_NOT_FOUND, "NUMBER(sme_mask)");
	vmcoreinfo_deinit(&vi);
}

TEST(hex_values)
{
	static const char text[] =
		"H1=0xffffffff81000000\n"
		"H2=0XABCDEF\n"
		"H3=ffffffffffffffff\n"
		"H4=0\n"
		"H5=DeadBeef\n";
	struct vmcoreinfo vi;
	uint64_t u;

	if (!parse(text, sizeof(text) - 1, &vi))
		return;
	CHECK_OK(vmcoreinfo_get_hex(&vi, "H1", &u));
	CHECK_U64(u, 0xffffffff81000000);
	CHECK_OK(vmcoreinfo_get_hex(&vi, "H2", &u));
	CHECK_U64(u, 0xabcdef);
	CHECK_OK(vmcoreinfo_get_hex(&vi, "H3", &u));
	CHECK_U64(u, UINT64_MAX);
	CHECK_OK(vmcoreinfo_get_hex(&vi, "H4", &u));
	CHECK_U64(u, 0);
	CHECK_OK(vmcoreinfo_get_hex(&vi, "H5", &u));
	CHECK_U64(u, 0xdeadbeef);
	vmcoreinfo_deinit(&vi);
}

/*
 * Each of these must be VMC_ERR_FORMAT naming the key.  The parser
 * rejects a leading ' ', '-' and '+' by hand and leaves the rest to
 * strtoull/strtoll, which also skip other leading whitespace and, in
 * base 16, a (second) "0x": those must be rejected as well.
 */
static const char *const bad_hex[] = {
	"", "0x", "-1", "+1", " 1", "1 ", "xyz", "12g", "0x-1",
	"10000000000000000",	/* 65 bits */
	"\t1",			/* strtoull would skip the tab */
	"0x0x10",		/* strtoull accepts a second 0x */
	"\v1", "0x\f1",
};

static const char *const bad_dec[] = {
	"", "-", "+", " 1", "1 ", "12a", "0x10", "1.5", "--1",
	"9223372036854775808",	/* INT64_MAX + 1 */
	"-9223372036854775809",	/* INT64_MIN - 1 */
	"\t1", "\v1",		/* strtoll would skip the blank */
};

/* VALUE with control characters shown as \xNN. */
static const char *show(const char *value)
{
	static char buf[128];
	size_t n = 0;

	for (; *value && n < sizeof(buf) - 5; value++) {
		if ((unsigned char)*value < 0x20)
			n += (size_t)snprintf(buf + n, 5, "\\x%02x",
					      (unsigned char)*value);
		else
			buf[n++] = *value;
	}
	buf[n] = '\0';
	return buf;
}

static void check_bad(const char *const *values, size_t n, bool hex)
{
	for (size_t i = 0; i < n; i++) {
		char text[128];
		struct vmcoreinfo vi;
		uint64_t u = 99;
		int64_t d = 99;
		struct vmc_error *err;

		/* A key with parentheses and dots, as the real ones. */
		snprintf(text, sizeof(text), "X=1\nNUMBER(k.%zu)=%s\nY=2\n",
			 i, values[i]);
		if (!parse(text, strlen(text), &vi))
			continue;
		snprintf(text, sizeof(text), "NUMBER(k.%zu)", i);
		err = hex ? vmcoreinfo_get_hex(&vi, text, &u)
			  : vmcoreinfo_get_dec(&vi, text, &d);
		if (!CHECK(err, "%s value \"%s\" accepted as %" PRIu64 "/%"
			   PRId64, hex ? "hex" : "dec", show(values[i]), u, d)) {
			vmcoreinfo_deinit(&vi);
			continue;
		}
		CHECK(err->code == VMC_ERR_FORMAT, "\"%s\": code %d",
		      show(values[i]), err->code);
		CHECK_CONTAINS(err->message, text);
		vmc_error_destroy(err);
		vmcoreinfo_deinit(&vi);
	}
}

TEST(bad_hex_numbers)
{
	check_bad(bad_hex, sizeof(bad_hex) / sizeof(bad_hex[0]), true);
}

TEST(bad_dec_numbers)
{
	check_bad(bad_dec, sizeof(bad_dec) / sizeof(bad_dec[0]), false);
}

TEST(dec_limits)
{
	static const char text[] =
		"MAX=9223372036854775807\n"
		"MIN=-9223372036854775808\n"
		"ZERO=-0\n";
	struct vmcoreinfo vi;
	int64_t d;

	if (!parse(text, sizeof(text) - 1, &vi))
		return;
	CHECK_OK(vmcoreinfo_get_dec(&vi, "MAX", &d));
	CHECK_I64(d, INT64_MAX);
	CHECK_OK(vmcoreinfo_get_dec(&vi, "MIN", &d));
	CHECK_I64(d, INT64_MIN);
	CHECK_OK(vmcoreinfo_get_dec(&vi, "ZERO", &d));
	CHECK_I64(d, 0);
	vmcoreinfo_deinit(&vi);
}

TEST(many_lines)
{
	/* More lines than any fixed guess; every one must be found. */
	size_t n = 5000, len = 0;
	char *text = unit_xmalloc(n * 32);
	struct vmcoreinfo vi;

	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "K%zu=%zu\n", i, i * 3);
	if (!parse(text, len, &vi)) {
		free(text);
		return;
	}
	CHECK_U64(vi.nentries, n);
	for (size_t i = 0; i < n; i += 499) {
		char key[32];
		int64_t d = -1;

		snprintf(key, sizeof(key), "K%zu", i);
		CHECK_OK(vmcoreinfo_get_dec(&vi, key, &d));
		CHECK_I64(d, (int64_t)(i * 3));
	}
	vmcoreinfo_deinit(&vi);
	free(text);
}

TEST(input_not_modified_or_needed_after)
{
	char *text = unit_xmalloc(sizeof(real_text));
	struct vmcoreinfo vi;

	memcpy(text, real_text, sizeof(real_text));
	if (!parse(text, sizeof(real_text) - 1, &vi)) {
		free(text);
		return;
	}
	CHECK_MEM(text, real_text, sizeof(real_text));
	/* The parse keeps its own copy. */
	memset(text, 'Z', sizeof(real_text));
	free(text);
	CHECK_STR(vmcoreinfo_get(&vi, "OSRELEASE"), "6.1.0-56-cloud-amd64");
	vmcoreinfo_deinit(&vi);
}
