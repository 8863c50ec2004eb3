/*
 * Native (WebAssembly SIMD) kernels of the kit's networks, run on the tfjs wasm backend's own heap.
 *
 * Built by `deno run -A lib/nn/build_native.ts` (clang --target=wasm32 -msimd128) into native_wasm.ts;
 * see native.ts for how they are called. The module imports the tfjs wasm backend's memory and reads and
 * writes tensors in place, so nothing is copied in or out. It has no static data and no globals of its
 * own (they would land on top of tfjs's); its shadow stack is a block that native.ts allocates with
 * tfjs's malloc and installs through the exported `__stack_pointer`.
 *
 * Whole passes run in one call: a network's forward pass (input BatchNorm folded into the first layer,
 * every layer, every head, the running-statistics update) and its backward pass (every parameter gradient
 * written into one flat vector in `parameters()` order, plus input gradients), Adam with gradient-norm
 * clipping over a whole network, and soft target updates. Matrix products are written for the shapes the
 * networks have (row-major, weights `[in, out]`, 4×8 register tiles): no packing of the right-hand
 * operand and no transposes of activations. The passes run the rows in chunks of 64 through every layer,
 * so a chunk's activations and gradients stay in L1 and weight gradients `Aᵀ G` accumulate chunk by chunk.
 *
 * Matrix products can instead go out to a host BLAS: with the descriptor's `ext_gemm` set (native.ts sets
 * it when lib/nn/blas.ts has loaded OpenBLAS through Deno FFI), gemm_nn and gemm_tn hand every product of
 * at least EXT_MIN_MACS multiply-adds to the imported `sgemm` (row-major `cblas_sgemm` on pointers into
 * this same memory, alpha 1, beta 0 or 1). Bias rows are written into C first and the ReLU / mask
 * epilogues run here afterwards, so both paths compute the same function; they agree to float32 rounding
 * (the summation order differs), and each is deterministic on its own.
 *
 * Under `-DOMAR_FMA` the inner products use `f32x4.relaxed_madd` (a fused multiply-add where the CPU has
 * one): clang 14 emits it with its pre-standard opcode, which build_native.ts rewrites to the standard one.
 * Whether it fuses depends on the CPU, so results are reproducible bit for bit on one machine, and agree
 * across machines to float32 rounding.
 */
#include <stdint.h>
#include <wasm_simd128.h>

typedef float f32;
typedef double f64;

#define EXPORT(name) __attribute__((export_name(#name)))
#define IMPORT(name) __attribute__((import_module("env"), import_name(#name)))

IMPORT(tanh) f64 js_tanh(f64);
/* C[M,N] = op(A)·B (+ C when acc): row-major cblas_sgemm, op(A) = Aᵀ when trans_a (A stored [K, M]). */
IMPORT(sgemm)
void ext_sgemm(int trans_a, int M, int N, int K, const f32* A, int lda, const f32* B, int ldb, f32* C, int ldc,
               int acc);

#ifdef OMAR_FMA
/* a * b + c; after build_native.ts rewrites the opcode to relaxed_madd. */
#define MADD(a, b, c) __builtin_wasm_fma_f32x4(a, b, c)
#else
#define MADD(a, b, c) wasm_f32x4_add(wasm_f32x4_mul(a, b), c)
#endif
#define SPLAT(v, l) wasm_i32x4_shuffle(v, v, l, l, l, l)
#define LD(p) wasm_v128_load(p)
#define ST(p, v) wasm_v128_store(p, v)

static inline v128_t zero4(void) { return wasm_f32x4_splat(0.f); }

/* ------------------------------------------------------------------------------------------------ */
/* Bump allocator over the scratch block the caller passes (float units, 16-byte aligned).          */
/* ------------------------------------------------------------------------------------------------ */

typedef struct {
  f32* next;
  f32* end;
} Arena;

static f32* take(Arena* a, int n) {
  f32* p = a->next;
  int padded = (n + 3) & ~3;
  if (p + padded > a->end) __builtin_trap();
  a->next = p + padded;
  return p;
}

static void fill0(f32* p, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) ST(p + i, zero4());
  for (; i < n; i++) p[i] = 0.f;
}

/* ------------------------------------------------------------------------------------------------ */
/* Host BLAS: products of at least EXT_MIN_MACS multiply-adds go to the imported sgemm when ext is on. */
/* ------------------------------------------------------------------------------------------------ */

/* Measured on the kit's shapes (64-row chunks, one core): sgemm pays from about 8k multiply-adds, but a
 * gemm_nn with a short inner dimension (an action width of 5) loses to the wasm kernel once its bias
 * fill and epilogue passes are counted; from K = 12 it wins. gemm_tn pays from 8k multiply-adds. */
#define EXT_MIN_MACS 8192
#define EXT_MIN_K_NN 12

static inline int use_ext(int ext, int M, int N, int K) {
  return ext && M > 0 && N > 0 && K > 0 && (int64_t)M * N * K >= EXT_MIN_MACS;
}

/* ------------------------------------------------------------------------------------------------ */
/* C[M,N] = epi(A[M,K] · B[K,N] + init): init is C itself (acc), a bias row (bias + (i % mod)·ldbias,  */
/* ldbias 0 for a vector) or 0; epi is ReLU (relu) and/or a mask (keep where mask[i, j] > 0).          */
/* ------------------------------------------------------------------------------------------------ */

static void gemm_nn_generic(int M, int N, int K, const f32* A, int lda, const f32* B, int ldb, f32* C,
                            int ldc, const f32* bias, int ldbias, int mod, int off, int relu, const f32* mask,
                            int ldm, int acc) {
  for (int i = 0; i < M; i++) {
    const f32* brow = bias ? bias + (ldbias ? ((i + off) % mod) * ldbias : 0) : 0;
    for (int j = 0; j < N; j++) {
      f32 s = acc ? C[i * ldc + j] : (brow ? brow[j] : 0.f);
      for (int k = 0; k < K; k++) s += A[i * lda + k] * B[k * ldb + j];
      if (relu && !(s > 0.f)) s = 0.f;
      if (mask && !(mask[i * ldm + j] > 0.f)) s = 0.f;
      C[i * ldc + j] = s;
    }
  }
}

/* The four lane sums of s0..s3 as one vector. */
static inline v128_t hsum4(v128_t s0, v128_t s1, v128_t s2, v128_t s3) {
  v128_t u01 = wasm_f32x4_add(wasm_i32x4_shuffle(s0, s1, 0, 4, 1, 5), wasm_i32x4_shuffle(s0, s1, 2, 6, 3, 7));
  v128_t u23 = wasm_f32x4_add(wasm_i32x4_shuffle(s2, s3, 0, 4, 1, 5), wasm_i32x4_shuffle(s2, s3, 2, 6, 3, 7));
  return wasm_f32x4_add(wasm_i32x4_shuffle(u01, u23, 0, 1, 4, 5), wasm_i32x4_shuffle(u01, u23, 2, 3, 6, 7));
}

static inline f32 dot_epi(f32 s, f32 init, int relu, int tanh_out) {
  s += init;
  if (relu && !(s > 0.f)) s = 0.f;
  if (tanh_out) s = (f32)js_tanh((f64)s);
  return s;
}

/* Bt given transposed ([N, K] rows), N small: dot products vectorised over K, four rows at a time. */
static void gemm_dot(int M, int N, int K, const f32* A, int lda, const f32* Bt, int ldbt, f32* C, int ldc,
                     const f32* bias, int acc, int relu, int tanh_out) {
  int K4 = K & ~3;
  for (int j = 0; j < N; j++) {
    const f32* b = Bt + j * ldbt;
    f32 bj = bias ? bias[j] : 0.f;
    int i = 0;
    for (; i + 4 <= M; i += 4) {
      const f32* a0 = A + i * lda;
      const f32* a1 = a0 + lda;
      const f32* a2 = a1 + lda;
      const f32* a3 = a2 + lda;
      v128_t s0 = zero4(), s1 = zero4(), s2 = zero4(), s3 = zero4();
      for (int k = 0; k < K4; k += 4) {
        v128_t w = LD(b + k);
        s0 = MADD(LD(a0 + k), w, s0);
        s1 = MADD(LD(a1 + k), w, s1);
        s2 = MADD(LD(a2 + k), w, s2);
        s3 = MADD(LD(a3 + k), w, s3);
      }
      v128_t t = hsum4(s0, s1, s2, s3);
      f32 r[4] = {wasm_f32x4_extract_lane(t, 0), wasm_f32x4_extract_lane(t, 1), wasm_f32x4_extract_lane(t, 2),
                  wasm_f32x4_extract_lane(t, 3)};
      for (int q = 0; q < 4; q++) {
        const f32* aq = A + (i + q) * lda;
        for (int k = K4; k < K; k++) r[q] += aq[k] * b[k];
        f32* c = C + (i + q) * ldc + j;
        *c = dot_epi(r[q], acc ? *c : bj, relu, tanh_out);
      }
    }
    for (; i < M; i++) {
      const f32* a = A + i * lda;
      v128_t s4 = zero4();
      for (int k = 0; k < K4; k += 4) s4 = MADD(LD(a + k), LD(b + k), s4);
      f32 s = (wasm_f32x4_extract_lane(s4, 0) + wasm_f32x4_extract_lane(s4, 1)) +
              (wasm_f32x4_extract_lane(s4, 2) + wasm_f32x4_extract_lane(s4, 3));
      for (int k = K4; k < K; k++) s += a[k] * b[k];
      f32* c = C + i * ldc + j;
      *c = dot_epi(s, acc ? *c : bj, relu, tanh_out);
    }
  }
}

#define EPI(v, m)                                                                                       \
  do {                                                                                                  \
    if (relu) v = wasm_f32x4_max(v, z);                                                                 \
    if (mask) v = wasm_v128_and(v, wasm_f32x4_gt(LD(m), z));                                            \
  } while (0)

/* gemm_nn through the host sgemm: C ← init (bias rows), C += A·B, then the epilogue in place. */
static void gemm_nn_ext(int M, int N, int K, const f32* A, int lda, const f32* B, int ldb, f32* C, int ldc,
                        const f32* bias, int ldbias, int mod, int off, int relu, const f32* mask, int ldm,
                        int acc) {
  if (!acc && bias) {
    for (int i = 0; i < M; i++) {
      const f32* b = bias + (ldbias ? ((i + off) % mod) * ldbias : 0);
      f32* c = C + i * ldc;
      int j = 0;
      for (; j + 4 <= N; j += 4) ST(c + j, LD(b + j));
      for (; j < N; j++) c[j] = b[j];
    }
    acc = 1;
  }
  ext_sgemm(0, M, N, K, A, lda, B, ldb, C, ldc, acc);
  if (!relu && !mask) return;
  const v128_t z = zero4();
  for (int i = 0; i < M; i++) {
    f32* c = C + i * ldc;
    const f32* m = mask ? mask + i * ldm : 0;
    int j = 0;
    for (; j + 4 <= N; j += 4) {
      v128_t v = LD(c + j);
      EPI(v, m + j);
      ST(c + j, v);
    }
    for (; j < N; j++) {
      f32 s = c[j];
      if (relu && !(s > 0.f)) s = 0.f;
      if (mask && !(m[j] > 0.f)) s = 0.f;
      c[j] = s;
    }
  }
}

static void gemm_nn(int ext, int M, int N, int K, const f32* A, int lda, const f32* B, int ldb, f32* C,
                    int ldc, const f32* bias, int ldbias, int mod, int off, int relu, const f32* mask, int ldm,
                    int acc) {
  if (K >= EXT_MIN_K_NN && use_ext(ext, M, N, K)) {
    gemm_nn_ext(M, N, K, A, lda, B, ldb, C, ldc, bias, ldbias, mod, off, relu, mask, ldm, acc);
    return;
  }
  if (N % 8 != 0) {
    gemm_nn_generic(M, N, K, A, lda, B, ldb, C, ldc, bias, ldbias, mod, off, relu, mask, ldm, acc);
    return;
  }
  const v128_t z = zero4();
  int i = 0;
  /* row blocks outermost: A's rows and C's rows are touched once, B stays in L1 */
  for (; i + 4 <= M; i += 4) {
    for (int j = 0; j < N; j += 8) {
      v128_t c00, c01, c10, c11, c20, c21, c30, c31;
      f32* o = C + i * ldc + j;
      if (acc) {
        c00 = LD(o), c01 = LD(o + 4), c10 = LD(o + ldc), c11 = LD(o + ldc + 4);
        c20 = LD(o + 2 * ldc), c21 = LD(o + 2 * ldc + 4), c30 = LD(o + 3 * ldc), c31 = LD(o + 3 * ldc + 4);
      } else if (bias && ldbias) {
        const f32* b0 = bias + ((i + off) % mod) * ldbias + j;
        const f32* b1 = bias + ((i + off + 1) % mod) * ldbias + j;
        const f32* b2 = bias + ((i + off + 2) % mod) * ldbias + j;
        const f32* b3 = bias + ((i + off + 3) % mod) * ldbias + j;
        c00 = LD(b0), c01 = LD(b0 + 4), c10 = LD(b1), c11 = LD(b1 + 4);
        c20 = LD(b2), c21 = LD(b2 + 4), c30 = LD(b3), c31 = LD(b3 + 4);
      } else if (bias) {
        c00 = c10 = c20 = c30 = LD(bias + j);
        c01 = c11 = c21 = c31 = LD(bias + j + 4);
      } else {
        c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = z;
      }
      const f32* a0 = A + i * lda;
      const f32* a1 = a0 + lda;
      const f32* a2 = a1 + lda;
      const f32* a3 = a2 + lda;
      const f32* bp = B + j;
      int k = 0;
      for (; k + 4 <= K; k += 4) {
        v128_t va0 = LD(a0 + k), va1 = LD(a1 + k), va2 = LD(a2 + k), va3 = LD(a3 + k);
#define NN_STEP(l)                                                                                      \
  {                                                                                                     \
    v128_t w0 = LD(bp), w1 = LD(bp + 4);                                                                \
    bp += ldb;                                                                                          \
    v128_t x0 = SPLAT(va0, l), x1 = SPLAT(va1, l), x2 = SPLAT(va2, l), x3 = SPLAT(va3, l);              \
    c00 = MADD(x0, w0, c00);                                                                            \
    c01 = MADD(x0, w1, c01);                                                                            \
    c10 = MADD(x1, w0, c10);                                                                            \
    c11 = MADD(x1, w1, c11);                                                                            \
    c20 = MADD(x2, w0, c20);                                                                            \
    c21 = MADD(x2, w1, c21);                                                                            \
    c30 = MADD(x3, w0, c30);                                                                            \
    c31 = MADD(x3, w1, c31);                                                                            \
  }
        NN_STEP(0) NN_STEP(1) NN_STEP(2) NN_STEP(3)
      }
      for (; k < K; k++) {
        v128_t w0 = LD(bp), w1 = LD(bp + 4);
        bp += ldb;
        v128_t x0 = wasm_f32x4_splat(a0[k]), x1 = wasm_f32x4_splat(a1[k]);
        v128_t x2 = wasm_f32x4_splat(a2[k]), x3 = wasm_f32x4_splat(a3[k]);
        c00 = MADD(x0, w0, c00);
        c01 = MADD(x0, w1, c01);
        c10 = MADD(x1, w0, c10);
        c11 = MADD(x1, w1, c11);
        c20 = MADD(x2, w0, c20);
        c21 = MADD(x2, w1, c21);
        c30 = MADD(x3, w0, c30);
        c31 = MADD(x3, w1, c31);
      }
      const f32* m = mask ? mask + i * ldm + j : 0;
      EPI(c00, m);
      EPI(c01, m + 4);
      EPI(c10, m + ldm);
      EPI(c11, m + ldm + 4);
      EPI(c20, m + 2 * ldm);
      EPI(c21, m + 2 * ldm + 4);
      EPI(c30, m + 3 * ldm);
      EPI(c31, m + 3 * ldm + 4);
      ST(o, c00), ST(o + 4, c01), ST(o + ldc, c10), ST(o + ldc + 4, c11);
      ST(o + 2 * ldc, c20), ST(o + 2 * ldc + 4, c21), ST(o + 3 * ldc, c30), ST(o + 3 * ldc + 4, c31);
    }
  }
  for (; i < M; i++) {
    for (int j = 0; j < N; j += 8) {
      f32* o = C + i * ldc + j;
      v128_t c0, c1;
      if (acc) {
        c0 = LD(o), c1 = LD(o + 4);
      } else if (bias) {
        const f32* b0 = bias + (ldbias ? ((i + off) % mod) * ldbias : 0) + j;
        c0 = LD(b0), c1 = LD(b0 + 4);
      } else {
        c0 = c1 = z;
      }
      const f32* a0 = A + i * lda;
      const f32* bp = B + j;
      for (int k = 0; k < K; k++) {
        v128_t x0 = wasm_f32x4_splat(a0[k]);
        c0 = MADD(x0, LD(bp), c0);
        c1 = MADD(x0, LD(bp + 4), c1);
        bp += ldb;
      }
      const f32* m = mask ? mask + i * ldm + j : 0;
      EPI(c0, m);
      EPI(c1, m + 4);
      ST(o, c0), ST(o + 4, c1);
    }
  }
}

/* ------------------------------------------------------------------------------------------------ */
/* C[M,N] = Aᵀ · B summed over R rows: A[R, M] (lda), B[R, N] (ldb); weight gradients.               */
/* ------------------------------------------------------------------------------------------------ */

#define TN_BLOCK 128

static void gemm_tn_generic(int M, int N, int R, const f32* A, int lda, const f32* B, int ldb, f32* C,
                            int ldc, int acc) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      f32 s = acc ? C[i * ldc + j] : 0.f;
      for (int r = 0; r < R; r++) s += A[r * lda + i] * B[r * ldb + j];
      C[i * ldc + j] = s;
    }
}

/* N % 8 == 0 */
static void gemm_tn8(int M, int N, int R, const f32* A, int lda, const f32* B, int ldb, f32* C, int ldc,
                     int acc) {
  for (int r0 = 0; r0 < R; r0 += TN_BLOCK) {
    int r1 = r0 + TN_BLOCK < R ? r0 + TN_BLOCK : R;
    int first = r0 == 0 && !acc;
    int i = 0;
    for (; i + 4 <= M; i += 4) {
      for (int j = 0; j < N; j += 8) {
        f32* o = C + i * ldc + j;
        v128_t c00, c01, c10, c11, c20, c21, c30, c31;
        if (first) {
          c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = zero4();
        } else {
          c00 = LD(o), c01 = LD(o + 4), c10 = LD(o + ldc), c11 = LD(o + ldc + 4);
          c20 = LD(o + 2 * ldc), c21 = LD(o + 2 * ldc + 4), c30 = LD(o + 3 * ldc), c31 = LD(o + 3 * ldc + 4);
        }
        const f32* ap = A + r0 * lda + i;
        const f32* bp = B + r0 * ldb + j;
        for (int r = r0; r < r1; r++) {
          v128_t a = LD(ap);
          ap += lda;
          v128_t w0 = LD(bp), w1 = LD(bp + 4);
          bp += ldb;
          v128_t x0 = SPLAT(a, 0), x1 = SPLAT(a, 1), x2 = SPLAT(a, 2), x3 = SPLAT(a, 3);
          c00 = MADD(x0, w0, c00);
          c01 = MADD(x0, w1, c01);
          c10 = MADD(x1, w0, c10);
          c11 = MADD(x1, w1, c11);
          c20 = MADD(x2, w0, c20);
          c21 = MADD(x2, w1, c21);
          c30 = MADD(x3, w0, c30);
          c31 = MADD(x3, w1, c31);
        }
        ST(o, c00), ST(o + 4, c01), ST(o + ldc, c10), ST(o + ldc + 4, c11);
        ST(o + 2 * ldc, c20), ST(o + 2 * ldc + 4, c21), ST(o + 3 * ldc, c30), ST(o + 3 * ldc + 4, c31);
      }
    }
    for (; i < M; i++) {
      for (int j = 0; j < N; j += 8) {
        f32* o = C + i * ldc + j;
        v128_t c0 = first ? zero4() : LD(o), c1 = first ? zero4() : LD(o + 4);
        const f32* ap = A + r0 * lda + i;
        const f32* bp = B + r0 * ldb + j;
        for (int r = r0; r < r1; r++) {
          v128_t x = wasm_f32x4_splat(*ap);
          ap += lda;
          c0 = MADD(x, LD(bp), c0);
          c1 = MADD(x, LD(bp + 4), c1);
          bp += ldb;
        }
        ST(o, c0), ST(o + 4, c1);
      }
    }
  }
}

/* C (+)= Aᵀ B. Needs a scratch of M·N floats when N % 8 != 0 (computes Cᵀ = Bᵀ A, then transposes). */
static void gemm_tn(int ext, int M, int N, int R, const f32* A, int lda, const f32* B, int ldb, f32* C,
                    int ldc, int acc, Arena* ar) {
  if (use_ext(ext, M, N, R)) {
    ext_sgemm(1, M, N, R, A, lda, B, ldb, C, ldc, acc);
  } else if (N % 8 == 0) {
    gemm_tn8(M, N, R, A, lda, B, ldb, C, ldc, acc);
  } else if (M % 8 == 0) {
    Arena save = *ar;
    f32* t = take(ar, M * N);
    gemm_tn8(N, M, R, B, ldb, A, lda, t, M, 0);
    for (int i = 0; i < M; i++)
      for (int j = 0; j < N; j++) C[i * ldc + j] = (acc ? C[i * ldc + j] : 0.f) + t[j * M + i];
    *ar = save;
  } else {
    gemm_tn_generic(M, N, R, A, lda, B, ldb, C, ldc, acc);
  }
}

/* acc[j] += Σ_r G[r, j] (float32 partial sums over row blocks, float64 across blocks). */
static void col_sums(int R, int N, const f32* G, int ldg, f64* acc, Arena* ar) {
  Arena save = *ar;
  f32* part = take(ar, N);
  for (int r0 = 0; r0 < R; r0 += TN_BLOCK) {
    int r1 = r0 + TN_BLOCK < R ? r0 + TN_BLOCK : R;
    int j = 0;
    for (; j + 4 <= N; j += 4) {
      v128_t s = zero4();
      for (int r = r0; r < r1; r++) s = wasm_f32x4_add(s, LD(G + r * ldg + j));
      ST(part + j, s);
    }
    for (; j < N; j++) {
      f32 s = 0.f;
      for (int r = r0; r < r1; r++) s += G[r * ldg + j];
      part[j] = s;
    }
    for (j = 0; j < N; j++) acc[j] += part[j];
  }
  *ar = save;
}

/* acc[j] += Σ_r (G[r, j] − mean[j])² (float32 partial sums over row blocks, float64 across blocks). */
static void col_sq_devs(int R, int N, const f32* G, int ldg, const f32* mean, f64* acc, Arena* ar) {
  Arena save = *ar;
  f32* part = take(ar, N);
  for (int r0 = 0; r0 < R; r0 += TN_BLOCK) {
    int r1 = r0 + TN_BLOCK < R ? r0 + TN_BLOCK : R;
    int j = 0;
    for (; j + 4 <= N; j += 4) {
      v128_t s = zero4(), mu = LD(mean + j);
      for (int r = r0; r < r1; r++) {
        v128_t dv = wasm_f32x4_sub(LD(G + r * ldg + j), mu);
        s = wasm_f32x4_add(s, wasm_f32x4_mul(dv, dv));
      }
      ST(part + j, s);
    }
    for (; j < N; j++) {
      f32 s = 0.f;
      for (int r = r0; r < r1; r++) {
        f32 dv = G[r * ldg + j] - mean[j];
        s += dv * dv;
      }
      part[j] = s;
    }
    for (j = 0; j < N; j++) acc[j] += part[j];
  }
  *ar = save;
}

/* out[r % B, :] += G[r, :] for the rows r = r0 … r0 + M − 1 (sums over the K candidates of a state). */
static void add_rows_mod(int M, int N, const f32* G, int r0, int B, f32* out) {
  for (int i = 0; i < M; i++) {
    const f32* g = G + i * N;
    f32* o = out + ((r0 + i) % B) * N;
    int j = 0;
    for (; j + 4 <= N; j += 4) ST(o + j, wasm_f32x4_add(LD(o + j), LD(g + j)));
    for (; j < N; j++) o[j] += g[j];
  }
}

static void transpose(int R, int C, const f32* X, int ldx, f32* out) {
  for (int r = 0; r < R; r++)
    for (int c = 0; c < C; c++) out[c * R + r] = X[r * ldx + c];
}

/* ------------------------------------------------------------------------------------------------ */
/* Network passes.                                                                                   */
/* ------------------------------------------------------------------------------------------------ */

#define MAX_LAYERS 8

/* Shared by the forward and backward passes; native.ts writes it field by field (all 4-byte). */
typedef struct {
  int32_t n_heads;                  /* heads in this call */
  int32_t n_layers;                 /* L (per head) */
  int32_t widths[MAX_LAYERS + 1];   /* in, hidden…, out */
  int32_t out_act;                  /* 0 none, 1 tanh */
  int32_t B, db, K, dc;             /* base rows and columns; K candidates (0: no candidate columns), their width */
  const f32* base;                  /* [B, db] */
  const f32* cand;                  /* [K·B, dc] or null */
  int32_t has_norm, train;
  f32 eps, momentum;
  const f32* gamma;                 /* BatchNorm weight [d] */
  const f32* beta;                  /* BatchNorm bias [d] */
  const f32* run_mean;              /* [d] */
  const f32* run_var;               /* [d] */
  f32* mean;                        /* [d]: written by forward, read by backward */
  f32* invstd;                      /* [d] */
  f32* new_rm;                      /* [d] or null: updated running statistics */
  f32* new_rv;
  const f32* W[2][MAX_LAYERS];
  const f32* bias[2][MAX_LAYERS];
  f32* acts[2][MAX_LAYERS];         /* per head: every layer's output */
  const f32* dout[2];               /* backward: [N, out] per head, null = head not differentiated */
  f32* grad_out;                    /* backward: flat parameter gradients or null */
  const f32* grad_in;               /* backward: flat gradients to add, or null */
  f32* dcand;                       /* backward: [N, dc] or null */
  f32* dbase;                       /* backward: [B, db] or null (no candidate columns only) */
  f32* scratch;
  int32_t scratch_floats;
  int32_t param_heads;              /* heads in the flat gradient (2 for a twin critic, 1 for an MLP) */
  int32_t ext_gemm;                 /* 1: large matrix products through the imported sgemm */
} Net;

static int net_rows(const Net* n) { return n->K > 0 ? n->K * n->B : n->B; }
static int net_in(const Net* n) { return n->db + (n->K > 0 ? n->dc : 0); }

/* mean and biased variance of each input column (base over B rows, candidates over K·B rows). */
static void norm_stats(Net* n, Arena* ar) {
  int d = net_in(n);
  if (!n->train) {
    for (int c = 0; c < d; c++) {
      n->mean[c] = n->run_mean[c];
      n->invstd[c] = 1.f / __builtin_sqrtf(n->run_var[c] + n->eps);
    }
    return;
  }
  for (int part = 0; part < 2; part++) {
    const f32* x = part == 0 ? n->base : n->cand;
    if (x == 0) continue;
    int cols = part == 0 ? n->db : n->dc;
    int rows = part == 0 ? n->B : net_rows(n);
    int off = part == 0 ? 0 : n->db;
    Arena save = *ar;
    f64* sum = (f64*)take(ar, 2 * cols);
    f64* sq = (f64*)take(ar, 2 * cols);
    for (int c = 0; c < cols; c++) sum[c] = sq[c] = 0.0;
    col_sums(rows, cols, x, cols, sum, ar);
    f32* mean = n->mean + off;
    for (int c = 0; c < cols; c++) mean[c] = (f32)(sum[c] / rows);
    col_sq_devs(rows, cols, x, cols, mean, sq, ar);
    for (int c = 0; c < cols; c++) {
      f32 var = (f32)(sq[c] / rows);
      n->invstd[off + c] = 1.f / __builtin_sqrtf(var + n->eps);
      if (n->new_rm) {
        f32 m = n->momentum;
        int total = net_rows(n);
        f32 unbiased = total > 1 ? var * (f32)((f64)total / (total - 1)) : var;
        n->new_rm[off + c] = n->run_mean[off + c] * (1.f - m) + mean[c] * m;
        n->new_rv[off + c] = n->run_var[off + c] * (1.f - m) + unbiased * m;
      }
    }
    *ar = save;
  }
}

static void layer_out(const Net* n, int l, int rows, const f32* x, int ldx, f32* out, const f32* W,
                      const f32* b, Arena* ar) {
  int in = n->widths[l], o = n->widths[l + 1];
  int last = l == n->n_layers - 1;
  if (o < 8) {
    Arena save = *ar;
    f32* wt = take(ar, in * o);
    transpose(in, o, W, o, wt);
    gemm_dot(rows, o, in, x, ldx, wt, in, out, o, b, 0, !last, last && n->out_act == 1);
    *ar = save;
    return;
  }
  gemm_nn(n->ext_gemm, rows, o, in, x, ldx, W, o, out, o, b, 0, 1, 0, !last, 0, 0, 0);
  if (last && n->out_act == 1)
    for (int i = 0; i < rows * o; i++) out[i] = (f32)js_tanh((f64)out[i]);
}

/* Rows per chunk of the forward and backward passes: a chunk's activations and gradients stay in L1
 * (also with the host sgemm: 128, 256 and 1024 rows were measured slower than 64). */
#define CHUNK 64

/*
 * Forward pass of every head; writes mean/invstd (and the new running statistics when asked). The rows
 * run in chunks through every layer. With the hidden layers' `acts[h][l]` null (a pass that keeps no
 * trace) the activations stay in scratch and only each head's output is written (mean/invstd may be
 * null then too).
 */
EXPORT(net_forward)
void net_forward(Net* n) {
  Arena ar = {n->scratch, n->scratch + n->scratch_floats};
  int d = net_in(n), rows = net_rows(n), L = n->n_layers, h1 = n->widths[1];
  int maxw = 0;
  for (int l = 1; l <= L; l++) maxw = n->widths[l] > maxw ? n->widths[l] : maxw;
  if (n->mean == 0) n->mean = take(&ar, d);
  if (n->invstd == 0) n->invstd = take(&ar, d);
  if (n->has_norm) norm_stats(n, &ar);
  int keep = n->acts[0][0] != 0;
  for (int h = 0; h < n->n_heads; h++) {
    Arena save = ar;
    /* first layer, BatchNorm folded: wf = scale ⊙ W0, bf = b0 + shift · W0 */
    const f32* W0 = n->W[h][0];
    const f32* wf = W0;
    const f32* bf = n->bias[h][0];
    if (n->has_norm) {
      f32* w2 = take(&ar, d * h1);
      f32* b2 = take(&ar, h1);
      for (int j = 0; j < h1; j++) b2[j] = 0.f;
      for (int i = 0; i < d; i++) {
        f32 scale = n->gamma[i] * n->invstd[i];
        f32 shift = n->beta[i] - n->mean[i] * scale;
        for (int j = 0; j < h1; j++) {
          w2[i * h1 + j] = W0[i * h1 + j] * scale;
          b2[j] += shift * W0[i * h1 + j];
        }
      }
      for (int j = 0; j < h1; j++) b2[j] += bf[j];
      wf = w2, bf = b2;
    }
    if (n->K > 0 && L == 1) {
      /* a single layer over [base, cand]: no factoring (small widths only) */
      f32* x = take(&ar, rows * d);
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < n->db; c++) x[r * d + c] = n->base[(r % n->B) * n->db + c];
        for (int c = 0; c < n->dc; c++) x[r * d + n->db + c] = n->cand[r * n->dc + c];
      }
      layer_out(n, 0, rows, x, d, n->acts[h][0], wf, bf, &ar);
      ar = save;
      continue;
    }
    /* factored input: the shared rows once, P = base · wf[:db] + bf */
    f32* P = 0;
    if (n->K > 0) {
      P = take(&ar, n->B * h1);
      gemm_nn(n->ext_gemm, n->B, h1, n->db, n->base, n->db, wf, h1, P, h1, bf, 0, 1, 0, 0, 0, 0, 0);
    }
    f32* x0 = take(&ar, CHUNK * maxw);
    f32* x1 = take(&ar, CHUNK * maxw);
    for (int r0 = 0; r0 < rows; r0 += CHUNK) {
      int m = rows - r0 < CHUNK ? rows - r0 : CHUNK;
      f32* cur = keep || L == 1 ? n->acts[h][0] + r0 * h1 : x0;
      if (n->K == 0) {
        layer_out(n, 0, m, n->base + r0 * n->db, n->db, cur, wf, bf, &ar);
      } else {
        /* cand · wf[db:] + P[row mod B], ReLU */
        gemm_nn(n->ext_gemm, m, h1, n->dc, n->cand + r0 * n->dc, n->dc, wf + n->db * h1, h1, cur, h1, P, h1,
                n->B, r0, 1, 0, 0, 0);
      }
      for (int l = 1; l < L; l++) {
        int w = n->widths[l + 1];
        f32* dst = keep || l == L - 1 ? n->acts[h][l] + r0 * w : (cur == x0 ? x1 : x0);
        layer_out(n, l, m, cur, n->widths[l], dst, n->W[h][l], n->bias[h][l], &ar);
        cur = dst;
      }
    }
    ar = save;
  }
}

static int head_params(const Net* n) {
  int s = 0;
  for (int l = 0; l < n->n_layers; l++) s += n->widths[l] * n->widths[l + 1] + n->widths[l + 1];
  return s;
}

/*
 * Backward pass: parameter gradients of every head (flat, parameters() order) and input gradients. The
 * rows run in chunks from the output down to the first layer; weight and bias gradients accumulate over
 * the chunks, the first layer's shared (base) rows through their sums over the K candidates.
 */
EXPORT(net_backward)
void net_backward(Net* n) {
  Arena ar = {n->scratch, n->scratch + n->scratch_floats};
  int d = net_in(n), rows = net_rows(n), L = n->n_layers, h1 = n->widths[1];
  int maxw = 0;
  for (int l = 0; l <= L; l++) maxw = n->widths[l] > maxw ? n->widths[l] : maxw;
  int norm_off = n->has_norm ? 2 * d : 0;
  int hp = head_params(n), ext = n->ext_gemm;
  f64* dscale = (f64*)take(&ar, 2 * d);
  f64* dshift = (f64*)take(&ar, 2 * d);
  for (int i = 0; i < d; i++) dscale[i] = dshift[i] = 0.0;
  f32* gu_cand = 0;
  f32* gu_base = 0;
  if (n->dcand) {
    gu_cand = take(&ar, rows * n->dc);
    fill0(gu_cand, rows * n->dc);
  }
  if (n->dbase && n->K == 0) {
    gu_base = take(&ar, n->B * n->db);
    fill0(gu_base, n->B * n->db);
  }
  if (n->grad_out) fill0(n->grad_out, norm_off + n->param_heads * hp);
  f32* gA = take(&ar, CHUNK * maxw);
  f32* gB = take(&ar, CHUNK * maxw);
  for (int h = 0; h < 2; h++) {
    if (h >= n->n_heads || n->dout[h] == 0) continue;
    Arena head_save = ar;
    f32* gflat = n->grad_out ? n->grad_out + norm_off + h * hp : 0;
    const f32* W0 = n->W[h][0];
    /* per layer: transposed weight, offset of its gradient, float64 bias-gradient sums */
    f32* wt[MAX_LAYERS];
    int poff[MAX_LAYERS];
    f64* db64[MAX_LAYERS];
    for (int l = 0, off = 0; l < L; l++) {
      int in = n->widths[l], out = n->widths[l + 1];
      poff[l] = off;
      off += in * out + out;
      wt[l] = 0;
      if (l > 0 || gu_base) {
        wt[l] = take(&ar, in * out);
        transpose(in, out, n->W[h][l], out, wt[l]);
      }
      db64[l] = (f64*)take(&ar, 2 * out);
      for (int j = 0; j < out; j++) db64[l][j] = 0.0;
    }
    f32* dwf = 0;
    f32* gs = 0;
    if (gflat) {
      dwf = take(&ar, d * h1);
      fill0(dwf, d * h1);
      if (n->K > 1) {
        gs = take(&ar, n->B * h1);
        fill0(gs, n->B * h1);
      }
    }
    int o = n->widths[L];
    for (int r0 = 0; r0 < rows; r0 += CHUNK) {
      int m = rows - r0 < CHUNK ? rows - r0 : CHUNK;
      /* g = dOut ⊙ act'(out) */
      const f32* g = n->dout[h] + r0 * o;
      if (n->out_act == 1) {
        const f32* y = n->acts[h][L - 1] + r0 * o;
        for (int i = 0; i < m * o; i++) gA[i] = g[i] * (1.f - y[i] * y[i]);
        g = gA;
      }
      for (int l = L - 1; l >= 1; l--) {
        int in = n->widths[l], out = n->widths[l + 1];
        const f32* a = n->acts[h][l - 1] + r0 * in;
        if (gflat) {
          gemm_tn(ext, in, out, m, a, in, g, out, gflat + poff[l], out, 1, &ar);
          col_sums(m, out, g, out, db64[l], &ar);
        }
        /* g ← (g · Wᵀ) ⊙ (a > 0) */
        f32* next = g == gA ? gB : gA;
        gemm_nn(ext, m, in, out, g, out, wt[l], in, next, in, 0, 0, 1, 0, 0, a, in, 0);
        g = next;
      }
      /* g: gradient of the first layer's pre-activation, rows r0 … r0 + m − 1 */
      if (gflat) {
        if (gs)
          add_rows_mod(m, h1, g, r0, n->B, gs);
        else
          gemm_tn(ext, n->db, h1, m, n->base + r0 * n->db, n->db, g, h1, dwf, h1, 1, &ar);
        if (n->K > 0)
          gemm_tn(ext, n->dc, h1, m, n->cand + r0 * n->dc, n->dc, g, h1, dwf + n->db * h1, h1, 1, &ar);
        col_sums(m, h1, g, h1, db64[0], &ar);
      }
      /* input gradients with respect to the normalised input, summed over heads */
      if (gu_cand)
        gemm_dot(m, n->dc, h1, g, h1, W0 + n->db * h1, h1, gu_cand + r0 * n->dc, n->dc, 0, 1, 0, 0);
      if (gu_base)
        gemm_nn(ext, m, n->db, h1, g, h1, wt[0], d, gu_base + r0 * n->db, n->db, 0, 0, 1, 0, 0, 0, 0, 1);
    }
    if (gflat) {
      if (gs) gemm_tn(ext, n->db, h1, n->B, n->base, n->db, gs, h1, dwf, h1, 1, &ar);
      for (int l = 1; l < L; l++) {
        int in = n->widths[l], out = n->widths[l + 1];
        for (int j = 0; j < out; j++) gflat[poff[l] + in * out + j] = (f32)db64[l][j];
      }
      /* first layer: unfold the BatchNorm from the folded weight's gradients */
      for (int i = 0; i < d; i++) {
        f32 scale = 1.f, shift = 0.f;
        if (n->has_norm) {
          scale = n->gamma[i] * n->invstd[i];
          shift = n->beta[i] - n->mean[i] * scale;
        }
        f64 ds = 0.0, dh = 0.0;
        for (int j = 0; j < h1; j++) {
          f32 w = W0[i * h1 + j], gw = dwf[i * h1 + j], gb = (f32)db64[0][j];
          ds += (f64)w * gw;
          dh += (f64)w * gb;
          gflat[i * h1 + j] = n->has_norm ? gw * scale + shift * gb : gw;
        }
        dscale[i] += ds;
        dshift[i] += dh;
      }
      for (int j = 0; j < h1; j++) gflat[d * h1 + j] = (f32)db64[0][j];
    }
    ar = head_save;
  }
  if (n->grad_out && n->has_norm) {
    for (int i = 0; i < d; i++) {
      n->grad_out[i] = (f32)((dscale[i] - dshift[i] * n->mean[i]) * n->invstd[i]);
      n->grad_out[d + i] = (f32)dshift[i];
    }
  }
  if (n->grad_out && n->grad_in) {
    int total = norm_off + n->param_heads * hp, i = 0;
    for (; i + 4 <= total; i += 4) ST(n->grad_out + i, wasm_f32x4_add(LD(n->grad_in + i), LD(n->grad_out + i)));
    for (; i < total; i++) n->grad_out[i] = n->grad_in[i] + n->grad_out[i];
  }
  /* through the BatchNorm */
  for (int part = 0; part < 2; part++) {
    f32* gu = part == 0 ? gu_base : gu_cand;
    f32* dx = part == 0 ? n->dbase : n->dcand;
    if (gu == 0) continue;
    const f32* x = part == 0 ? n->base : n->cand;
    int cols = part == 0 ? n->db : n->dc, off = part == 0 ? 0 : n->db;
    int nr = part == 0 ? n->B : rows;
    for (int c = 0; c < cols; c++) {
      int col = off + c;
      if (!n->has_norm) {
        for (int r = 0; r < nr; r++) dx[r * cols + c] = gu[r * cols + c];
        continue;
      }
      f32 inv = n->invstd[col], mu = n->mean[col], gam = n->gamma[col];
      if (!n->train) {
        f32 scale = gam * inv;
        for (int r = 0; r < nr; r++) dx[r * cols + c] = gu[r * cols + c] * scale;
        continue;
      }
      f64 sg = 0.0, sgx = 0.0;
      for (int r = 0; r < nr; r++) {
        f32 gh = gu[r * cols + c] * gam;
        f32 xh = (x[r * cols + c] - mu) * inv;
        sg += gh;
        sgx += (f64)(gh * xh);
      }
      f32 mg = (f32)(sg / nr), mgx = (f32)(sgx / nr);
      for (int r = 0; r < nr; r++) {
        f32 gh = gu[r * cols + c] * gam;
        f32 xh = (x[r * cols + c] - mu) * inv;
        dx[r * cols + c] = (gh - mg - xh * mgx) * inv;
      }
    }
  }
}

/* ------------------------------------------------------------------------------------------------ */
/* Adam (PyTorch's float32 order of operations) with clip_grad_norm_, over a whole network.          */
/* ------------------------------------------------------------------------------------------------ */

typedef struct {
  int32_t count;          /* parameter tensors */
  const f32* grad;        /* flat gradients */
  const f32* m;
  const f32* v;
  f32* m_out;
  f32* v_out;
  f32 beta1, beta2, one_minus_beta1, one_minus_beta2, step_size, bc2_sqrt, eps, max_norm; /* max_norm < 0: no clip */
  f32* norm_out;          /* [1]: the norm before clipping, or null */
  int32_t entries[];      /* count × (param, out, size) */
} AdamDesc;

EXPORT(adam_step)
void adam_step(AdamDesc* a) {
  int total = 0;
  for (int p = 0; p < a->count; p++) total += a->entries[3 * p + 2];
  f32 coef = 1.f;
  if (a->max_norm >= 0.f || a->norm_out) {
    f64 s = 0.0;
    for (int i = 0; i < total; i++) s += (f64)a->grad[i] * a->grad[i];
    f32 norm = (f32)__builtin_sqrt(s);
    if (a->norm_out) a->norm_out[0] = norm;
    if (a->max_norm >= 0.f) {
      coef = a->max_norm / (norm + 1e-6f);
      if (!(coef < 1.f)) coef = 1.f;
    }
  }
  const v128_t b1 = wasm_f32x4_splat(a->beta1), b2 = wasm_f32x4_splat(a->beta2);
  const v128_t ob1 = wasm_f32x4_splat(a->one_minus_beta1), ob2 = wasm_f32x4_splat(a->one_minus_beta2);
  const v128_t ss = wasm_f32x4_splat(a->step_size), bc = wasm_f32x4_splat(a->bc2_sqrt);
  const v128_t ep = wasm_f32x4_splat(a->eps), cf = wasm_f32x4_splat(coef);
  int base = 0;
  for (int p = 0; p < a->count; p++) {
    const f32* w = (const f32*)a->entries[3 * p];
    f32* out = (f32*)a->entries[3 * p + 1];
    int size = a->entries[3 * p + 2];
    const f32* g = a->grad + base;
    const f32* m = a->m + base;
    const f32* v = a->v + base;
    f32* mo = a->m_out + base;
    f32* vo = a->v_out + base;
    int i = 0;
    for (; i + 4 <= size; i += 4) {
      v128_t gi = LD(g + i);
      if (coef != 1.f) gi = wasm_f32x4_mul(gi, cf);
      v128_t mi = wasm_f32x4_add(wasm_f32x4_mul(LD(m + i), b1), wasm_f32x4_mul(gi, ob1));
      v128_t vi = wasm_f32x4_add(wasm_f32x4_mul(LD(v + i), b2), wasm_f32x4_mul(wasm_f32x4_mul(gi, ob2), gi));
      v128_t den = wasm_f32x4_add(wasm_f32x4_div(wasm_f32x4_sqrt(vi), bc), ep);
      ST(out + i, wasm_f32x4_sub(LD(w + i), wasm_f32x4_div(wasm_f32x4_mul(mi, ss), den)));
      ST(mo + i, mi);
      ST(vo + i, vi);
    }
    for (; i < size; i++) {
      f32 gi = g[i];
      if (coef != 1.f) gi = gi * coef;
      f32 mi = m[i] * a->beta1 + gi * a->one_minus_beta1;
      f32 vi = v[i] * a->beta2 + (gi * a->one_minus_beta2) * gi;
      f32 den = __builtin_sqrtf(vi) / a->bc2_sqrt + a->eps;
      out[i] = w[i] - (mi * a->step_size) / den;
      mo[i] = mi;
      vo[i] = vi;
    }
    base += size;
  }
}

/* target ← target·(1 − rate) + source·rate, tensor by tensor. */
typedef struct {
  int32_t count;
  f32 keep, rate;
  int32_t entries[]; /* count × (target, source, out, size) */
} SoftDesc;

EXPORT(soft_update)
void soft_update(SoftDesc* s) {
  const v128_t k = wasm_f32x4_splat(s->keep), r = wasm_f32x4_splat(s->rate);
  for (int p = 0; p < s->count; p++) {
    const f32* t = (const f32*)s->entries[4 * p];
    const f32* src = (const f32*)s->entries[4 * p + 1];
    f32* out = (f32*)s->entries[4 * p + 2];
    int size = s->entries[4 * p + 3], i = 0;
    for (; i + 4 <= size; i += 4) ST(out + i, wasm_f32x4_add(wasm_f32x4_mul(LD(t + i), k), wasm_f32x4_mul(LD(src + i), r)));
    for (; i < size; i++) out[i] = t[i] * s->keep + src[i] * s->rate;
  }
}

/* Layout checks for native.ts: sizeof(Net) and the offset of AdamDesc's entries, in bytes. */
EXPORT(net_size)
int net_size(void) { return (int)sizeof(Net); }

EXPORT(adam_entries_offset)
int adam_entries_offset(void) { return (int)__builtin_offsetof(AdamDesc, entries); }

EXPORT(soft_entries_offset)
int soft_entries_offset(void) { return (int)__builtin_offsetof(SoftDesc, entries); }
