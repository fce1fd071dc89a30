/* SPDX-License-Identifier: MIT */
/* strbuf: growth, hex encoding; hex_decode and parse_hex_u64. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../libkernel/strbuf.h"
#include "unit.h"

TEST(hex_encode)
{
	struct strbuf sb;
	const uint8_t bytes[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };

	strbuf_init(&sb);
	strbuf_add_hex(&sb, bytes, sizeof(bytes));
	CHECK_STR(sb.data, "00017f80abff");
	CHECK_U64(sb.len, 12);
	strbuf_add_hex(&sb, "", 0);
	CHECK_U64(sb.len, 12);
	strbuf_add_hex(&sb, "CPU", 3);
	CHECK_STR(sb.data, "00017f80abff435055");
	strbuf_deinit(&sb);
	CHECK(sb.data == NULL && sb.len == 0 && sb.cap == 0);
}

TEST(hex_decode)
{
	uint8_t out[8];

	memset(out, 0xee, sizeof(out));
	CHECK_I64(hex_decode("00ff7F80aB", 10, out, sizeof(out)), 5);
	CHECK_MEM(out, "\x00\xff\x7f\x80\xab\xee", 6);
	CHECK_I64(hex_decode("", 0, out, sizeof(out)), 0);
	/* Odd length, bad digits anywhere, signs, spaces: rejected. */
	CHECK_I64(hex_decode("abc", 3, out, sizeof(out)), -1);
	CHECK_I64(hex_decode("0g", 2, out, sizeof(out)), -1);
	CHECK_I64(hex_decode("g0", 2, out, sizeof(out)), -1);
	CHECK_I64(hex_decode("+1", 2, out, sizeof(out)), -1);
	CHECK_I64(hex_decode(" 1", 2, out, sizeof(out)), -1);
	CHECK_I64(hex_decode("0x", 2, out, sizeof(out)), -1);
	/* Only HEXLEN bytes are looked at. */
	CHECK_I64(hex_decode("4142zz", 4, out, sizeof(out)), 2);
	CHECK_MEM(out, "AB", 2);
	/* Exactly the capacity fits; one more byte does not, and nothing
	 * is written past OUTCAP. */
	memset(out, 0xee, sizeof(out));
	CHECK_I64(hex_decode("01020304", 8, out, 4), 4);
	CHECK_U64(out[4], 0xee);
	CHECK_I64(hex_decode("0102030405", 10, out, 4), -1);
	CHECK_U64(out[4], 0xee);
}

static bool parse(const char *s, size_t n, uint64_t *v, size_t *used)
{
	const char *p = s;
	bool ok = parse_hex_u64(&p, s + n, v);

	*used = (size_t)(p - s);
	return ok;
}

TEST(parse_hex_u64)
{
	uint64_t v = 0;
	size_t used;

	CHECK(parse("1f,rest", 7, &v, &used));
	CHECK_U64(v, 0x1f);
	CHECK_U64(used, 2);
	CHECK(parse("ffffffffffffffff", 16, &v, &used));
	CHECK_U64(v, UINT64_MAX);
	CHECK_U64(used, 16);
	CHECK(parse("FfFfFfFf81000000", 16, &v, &used));
	CHECK_U64(v, 0xffffffff81000000);
	/* 17 digits: more than 64 bits would be silently dropped. */
	v = 42;
	CHECK(!parse("10000000000000000", 17, &v, &used));
	CHECK(!parse("fffffffffffffffff", 17, &v, &used));
	CHECK_U64(v, 42);	/* not touched on failure */
	CHECK_U64(used, 0);	/* *p not advanced on failure */
	/* No digits at all. */
	CHECK(!parse("", 0, &v, &used));
	CHECK(!parse(",5", 2, &v, &used));
	CHECK(!parse("-1", 2, &v, &used));
	CHECK(!parse("x1", 2, &v, &used));
	/* END bounds the scan: digits past it are not read. */
	CHECK(parse("12345", 2, &v, &used));
	CHECK_U64(v, 0x12);
	CHECK_U64(used, 2);
	/* Sixteen digits within END, more after it: fine. */
	CHECK(parse("00000000000000011", 16, &v, &used));
	CHECK_U64(v, 1);
}

TEST(strbuf_growth)
{
	struct strbuf sb;
	char want[5001];

	strbuf_init(&sb);
	CHECK(sb.data == NULL && sb.len == 0);
	for (int i = 0; i < 5000; i++) {
		char c = (char)('a' + i % 26);

		strbuf_add(&sb, &c, 1);
		want[i] = c;
	}
	want[5000] = '\0';
	CHECK_U64(sb.len, 5000);
	CHECK(sb.cap > sb.len, "cap %zu len %zu", sb.cap, sb.len);
	CHECK_STR(sb.data, want);
	CHECK(!sb.oom);

	/* addf longer than the initial capacity and than what is left. */
	strbuf_reset(&sb);
	CHECK_U64(sb.len, 0);
	CHECK_STR(sb.data, "");
	strbuf_adds(&sb, "x=");
	strbuf_addf(&sb, "%0600d|%s", 7, "end");
	CHECK_U64(sb.len, 2 + 600 + 4);
	CHECK(sb.data[2] == '0' && sb.data[601] == '7');
	CHECK_STR(sb.data + 602, "|end");
	CHECK_U64(sb.data[sb.len], 0);

	/* Binary data with NULs is kept, and stays NUL-terminated. */
	strbuf_reset(&sb);
	strbuf_add(&sb, "a\0b", 3);
	CHECK_U64(sb.len, 3);
	CHECK_MEM(sb.data, "a\0b\0", 4);
	strbuf_deinit(&sb);
}

TEST(strbuf_reserve)
{
	struct strbuf sb;
	size_t cap;

	strbuf_init(&sb);
	CHECK(strbuf_reserve(&sb, 1000));
	cap = sb.cap;
	CHECK(cap >= 1001, "cap %zu", cap);
	/* Reserving what is already there does not reallocate. */
	CHECK(strbuf_reserve(&sb, 10));
	CHECK_U64(sb.cap, cap);
	strbuf_deinit(&sb);
}

/*
 * Sizes whose "len + extra + 1" wraps around must fail and set oom;
 * strbuf_reserve() adds them unchecked, so it reports success for a
 * buffer it never allocated (and then strbuf_add() would memcpy that
 * much into it).
 */
TEST(strbuf_reserve_overflow)
{
	struct strbuf sb;

	strbuf_init(&sb);
	CHECK(!strbuf_reserve(&sb, SIZE_MAX),
	      "reserve(SIZE_MAX) succeeded with cap %zu", sb.cap);
	CHECK(sb.oom, "oom not set");
	strbuf_deinit(&sb);

	strbuf_init(&sb);
	strbuf_add(&sb, "abc", 3);
	CHECK(!strbuf_reserve(&sb, SIZE_MAX - 2),
	      "reserve(SIZE_MAX - 2) with len 3 succeeded with cap %zu",
	      sb.cap);
	strbuf_deinit(&sb);
}

static void reserve_half(void *arg)
{
	struct strbuf sb;
	bool ok;

	(void)arg;
	strbuf_init(&sb);
	ok = strbuf_reserve(&sb, SIZE_MAX / 2 + 10);
	strbuf_deinit(&sb);
	_exit(ok ? 3 : 0);
}

/* Between SIZE_MAX / 2 and SIZE_MAX the doubling loop overflows cap to
 * 0 and never ends; the request must just fail. */
TEST(strbuf_reserve_huge_terminates)
{
	const char *how = unit_in_child(reserve_half, NULL, 2);

	CHECK_STR(how, "exit 0");
}

TEST(strbuf_oom_sticks)
{
	struct strbuf sb;

	strbuf_init(&sb);
	strbuf_adds(&sb, "ok");
	sb.oom = true;	/* as after a failed append */
	strbuf_adds(&sb, "more");
	CHECK_U64(sb.len, 2);
	CHECK(!strbuf_reserve(&sb, 1));
	strbuf_reset(&sb);
	CHECK(!sb.oom);
	strbuf_adds(&sb, "again");
	CHECK_STR(sb.data, "again");
	strbuf_deinit(&sb);
}
