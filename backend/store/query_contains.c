// logsieve_contains(text, needle): the SQL function of a substring search
// (see query_contains.go). needle must be ASCII-lowercased; text matches
// when it holds needle with its ASCII letters in either case, at any
// offset of its full length (NUL bytes included). NULL text gives NULL,
// like LIKE.

#include <stddef.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#ifdef LOGSIEVE_LOADABLE
// A loadable build of the same function for the sqlite3 CLI (measuring).
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1
#else
// The few SQLite entry points it uses, resolved against the SQLite that
// github.com/mattn/go-sqlite3 links in (no header needed).
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_context sqlite3_context;
typedef struct sqlite3_value sqlite3_value;
int sqlite3_auto_extension(void (*)(void));
int sqlite3_create_function_v2(sqlite3 *, const char *, int, int, void *,
	void (*)(sqlite3_context *, int, sqlite3_value **),
	void (*)(sqlite3_context *, int, sqlite3_value **),
	void (*)(sqlite3_context *), void (*)(void *));
const void *sqlite3_value_blob(sqlite3_value *);
const unsigned char *sqlite3_value_text(sqlite3_value *);
int sqlite3_value_bytes(sqlite3_value *);
int sqlite3_value_type(sqlite3_value *);
void sqlite3_result_int(sqlite3_context *, int);
void sqlite3_result_null(sqlite3_context *);
#define SQLITE_UTF8 1
#define SQLITE_DETERMINISTIC 0x000000800
#define SQLITE_INNOCUOUS 0x000200000
#define SQLITE_TEXT 3
#define SQLITE_BLOB 4
#define SQLITE_NULL 5
#endif

// fold_eq reports whether the n bytes at h, ASCII-lowercased, equal the
// n bytes at nd (lowercase already).
static int fold_eq(const unsigned char *h, const unsigned char *nd, size_t n) {
	for (size_t k = 0; k < n; k++) {
		unsigned char c = h[k];
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c != nd[k])
			return 0;
	}
	return 1;
}

// fold_mask is the bit OR-ed onto a text byte before it is compared with
// needle byte c: 0x20 (lowercases an ASCII letter) when c is a letter,
// else 0 (exact). x | 0x20 == c holds for exactly c and its uppercase.
static unsigned char fold_mask(unsigned char c) {
	return c >= 'a' && c <= 'z' ? 0x20 : 0;
}

// find_from reports whether nd (n >= 1 bytes, lowercase) occurs in h (hn
// bytes) at an offset of i or more, ignoring ASCII case. With SSE2 it
// compares the needle's first and last bytes at 16 offsets at once and
// checks the rest only where both match (the "generic SIMD" substring
// search); the last offsets one by one.
static int find_from(const unsigned char *h, size_t hn, const unsigned char *nd, size_t n, size_t i) {
	unsigned char first = nd[0], last = nd[n - 1];
	unsigned char ff = fold_mask(first), fl = fold_mask(last);
#if defined(__SSE2__)
	const __m128i vf = _mm_set1_epi8((char)first), vl = _mm_set1_epi8((char)last);
	const __m128i mf = _mm_set1_epi8((char)ff), ml = _mm_set1_epi8((char)fl);
	for (; i + n - 1 + 16 <= hn; i += 16) {
		__m128i a = _mm_or_si128(_mm_loadu_si128((const __m128i *)(h + i)), mf);
		__m128i b = _mm_or_si128(_mm_loadu_si128((const __m128i *)(h + i + n - 1)), ml);
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, vf), _mm_cmpeq_epi8(b, vl)));
		while (m) {
			unsigned j = (unsigned)__builtin_ctz(m);
			if (n <= 2 || fold_eq(h + i + j + 1, nd + 1, n - 2))
				return 1;
			m &= m - 1;
		}
	}
#endif
	for (; i + n <= hn; i++) {
		if ((h[i] | ff) == first && (h[i + n - 1] | fl) == last && (n <= 2 || fold_eq(h + i + 1, nd + 1, n - 2)))
			return 1;
	}
	return 0;
}

#if defined(__x86_64__) && defined(__GNUC__)
#define LOGSIEVE_AVX2 1
#include <immintrin.h>

// find_avx2 is find_from(..., 0) comparing 32 offsets at once (AVX2), then
// the rest as find_from does: half the steps over a log line.
__attribute__((target("avx2"))) static int find_avx2(const unsigned char *h, size_t hn, const unsigned char *nd, size_t n) {
	unsigned char first = nd[0], last = nd[n - 1];
	const __m256i vf = _mm256_set1_epi8((char)first), vl = _mm256_set1_epi8((char)last);
	const __m256i mf = _mm256_set1_epi8((char)fold_mask(first)), ml = _mm256_set1_epi8((char)fold_mask(last));
	size_t i = 0;
	for (; i + n - 1 + 32 <= hn; i += 32) {
		__m256i a = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(h + i)), mf);
		__m256i b = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(h + i + n - 1)), ml);
		unsigned m = (unsigned)_mm256_movemask_epi8(_mm256_and_si256(_mm256_cmpeq_epi8(a, vf), _mm256_cmpeq_epi8(b, vl)));
		while (m) {
			unsigned j = (unsigned)__builtin_ctz(m);
			if (n <= 2 || fold_eq(h + i + j + 1, nd + 1, n - 2))
				return 1;
			m &= m - 1;
		}
	}
	return find_from(h, hn, nd, n, i);
}

// use_avx2 is set once at load: whether this CPU has AVX2.
static int use_avx2;

__attribute__((constructor)) static void detect_avx2(void) {
	__builtin_cpu_init();
	use_avx2 = __builtin_cpu_supports("avx2");
}
#endif

// logsieve_find_with reports whether nd (n bytes, lowercase) occurs in h
// (hn bytes) ignoring ASCII case, by AVX2 when avx2 is set and the CPU has
// it, else by SSE2 (tests run both).
int logsieve_find_with(const unsigned char *h, size_t hn, const unsigned char *nd, size_t n, int avx2) {
	if (n == 0)
		return 1;
	if (n > hn)
		return 0;
#ifdef LOGSIEVE_AVX2
	if (avx2 && use_avx2)
		return find_avx2(h, hn, nd, n);
#else
	(void)avx2;
#endif
	return find_from(h, hn, nd, n, 0);
}

// logsieve_find is logsieve_find_with the CPU's fastest search.
int logsieve_find(const unsigned char *h, size_t hn, const unsigned char *nd, size_t n) {
	return logsieve_find_with(h, hn, nd, n, 1);
}

// logsieve_has_avx2 reports whether logsieve_find searches by AVX2.
int logsieve_has_avx2(void) {
#ifdef LOGSIEVE_AVX2
	return use_avx2;
#else
	return 0;
#endif
}

static void contains_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
	(void)argc;
	int t = sqlite3_value_type(argv[0]);
	if (t == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	// A text or blob is read where it lies (sqlite3_value_text may copy it
	// to add a terminator); a number is read as its text.
	const unsigned char *h = t == SQLITE_TEXT || t == SQLITE_BLOB ? sqlite3_value_blob(argv[0]) : sqlite3_value_text(argv[0]);
	size_t hn = (size_t)sqlite3_value_bytes(argv[0]);
	const unsigned char *nd = sqlite3_value_blob(argv[1]);
	size_t n = (size_t)sqlite3_value_bytes(argv[1]);
	sqlite3_result_int(ctx, logsieve_find(h ? h : (const unsigned char *)"", hn, nd ? nd : (const unsigned char *)"", n));
}

#ifdef LOGSIEVE_LOADABLE
int sqlite3_extension_init(sqlite3 *db, char **err, const sqlite3_api_routines *api) {
	SQLITE_EXTENSION_INIT2(api);
	(void)err;
	return sqlite3_create_function_v2(db, "logsieve_contains", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, 0, contains_func, 0, 0, 0);
}
#else
static int contains_init(sqlite3 *db, char **err, const void *api) {
	(void)err;
	(void)api;
	return sqlite3_create_function_v2(db, "logsieve_contains", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, 0, contains_func, 0, 0, 0);
}

// logsieve_register_contains makes every SQLite connection opened from now
// on know logsieve_contains.
int logsieve_register_contains(void) {
	return sqlite3_auto_extension((void (*)(void))contains_init);
}
#endif
