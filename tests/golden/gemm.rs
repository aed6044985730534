// Golden values of `Precision::Portable` GEMM: seeded products shaped as an
// MLP's (operands from `values` below), each pinning the first four entries
// of C and the FNV-1a-64 hash of all its f32 bit patterns (row by row,
// little-endian).
// Pinned once from this implementation; changing one is a breaking change.
//
// Included by tests/golden_gemm.rs and by the firmware in
// embedded/ (after tests/golden/support.rs), each with its own
// `golden_gemm!` macro.

/// One case: A is stored row-major (`m × k`, or `k × m` and used transposed
/// when `a_t`), B likewise (`k × n`, or `n × k` when `b_t`); C is `m × n`
/// inside a row-major buffer of row stride `c_stride` (the gaps must stay
/// untouched); `C ← α·A·B + β·C`.
struct Case {
    m: usize,
    k: usize,
    n: usize,
    a_t: bool,
    b_t: bool,
    c_stride: usize,
    alpha: f32,
    beta: f32,
    /// Bit patterns of C's first four entries (row by row).
    first: [u32; 4],
    /// FNV-1a-64 of all of C's entries (row by row).
    hash: u64,
}

/// `len` operand values uniform in [-1, 1): A from stream 1, B from 2 and
/// C's initial values from 3.
fn values(len: usize, stream: u64) -> Vec<f32> {
    let mut out: Vec<f32> = core::iter::repeat_n(0.0, len).collect();
    deepinit::rng::fill_uniform(&mut out, &mut seeded(stream));
    out.iter_mut().for_each(|v| *v = 2.0 * *v - 1.0);
    out
}

impl Case {
    /// The stored operands: A's and B's values and C's initial buffer.
    fn operands(&self) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let (m, k, n) = (self.m, self.k, self.n);
        (values(m * k, 1), values(k * n, 2), values(m * self.c_stride, 3))
    }

    /// A and B as the product reads them (transposed views when asked).
    fn views<'a>(
        &self,
        a: &'a [f32],
        b: &'a [f32],
    ) -> Result<(deepinit::MatRef<'a>, deepinit::MatRef<'a>), deepinit::ShapeError> {
        use deepinit::MatRef;
        let (m, k, n) = (self.m, self.k, self.n);
        let a = if self.a_t {
            MatRef::from_row_major(a, k, m)?.t()
        } else {
            MatRef::from_row_major(a, m, k)?
        };
        let b = if self.b_t {
            MatRef::from_row_major(b, n, k)?.t()
        } else {
            MatRef::from_row_major(b, k, n)?
        };
        Ok((a, b))
    }

    /// C inside its buffer.
    fn c<'a>(&self, c: &'a mut [f32]) -> Result<deepinit::MatMut<'a>, deepinit::ShapeError> {
        deepinit::MatMut::from_strided(c, self.m, self.n, self.c_stride, 1)
    }

    /// What the table pins of a result buffer: the bit patterns of C's
    /// first four entries and the FNV-1a-64 hash of all of them, row by row
    /// (the gaps left out).
    fn digest(&self, c: &[f32]) -> ([u32; 4], u64) {
        let entries = || c.chunks(self.c_stride).flat_map(|row| &row[..self.n]);
        let mut first = [0; 4];
        first.iter_mut().zip(entries()).for_each(|(f, v)| *f = v.to_bits());
        (first, fnv1a64(entries()))
    }
}

golden_gemm! {
    // 37 × 300 · 300 × 53: crosses KC = 256, partial row and column tiles,
    // both operands transposed views, β ≠ 0 reads C.
    small_all_transposes: Case {
        m: 37,
        k: 300,
        n: 53,
        a_t: true,
        b_t: true,
        c_stride: 60,
        alpha: 0.75,
        beta: -0.5,
        first: [0x3e5dff1c, 0xc0445ac4, 0xc075158e, 0xc0038c20],
        hash: 0xe20a3621a65be52b,
    };

    // The first layer's forward product of a 784-256-… MLP at batch 100:
    // X [100 × 784] · Wᵀ with W stored [256 × 784].
    layer_forward: Case {
        m: 100,
        k: 784,
        n: 256,
        a_t: false,
        b_t: true,
        c_stride: 256,
        alpha: 1.0,
        beta: 0.0,
        first: [0xc0e780e3, 0xc0189ea0, 0xc1416288, 0x3f9880b0],
        hash: 0xa8c4c0d58a8b1b5b,
    };

    // The weight gradient Δᵀ · X: (100 × 256)ᵀ · 100 × 784, accumulated
    // (β = 1) into a gradient buffer.
    weight_gradient: Case {
        m: 256,
        k: 100,
        n: 784,
        a_t: true,
        b_t: false,
        c_stride: 784,
        alpha: 1.0,
        beta: 1.0,
        first: [0xbfaf0982, 0x3e995702, 0xbfab2198, 0x411d8940],
        hash: 0xc74461c9d0f71613,
    };

    // The output layer's forward product: 100 × 256 · (10 × 256)ᵀ.
    narrow: Case {
        m: 100,
        k: 256,
        n: 10,
        a_t: false,
        b_t: true,
        c_stride: 13,
        alpha: 1.0,
        beta: 0.0,
        first: [0xc0a22306, 0x3fe18c06, 0xc0f18fdf, 0x3f6b46b7],
        hash: 0xd066fd2fbfbf9d6f,
    };

    // Batch-1 inference: W [256 × 784] · x, i.e. n = 1.
    matrix_vector: Case {
        m: 256,
        k: 784,
        n: 1,
        a_t: false,
        b_t: false,
        c_stride: 2,
        alpha: 1.0,
        beta: 0.0,
        first: [0xc0e780e3, 0x40b1208e, 0xc12b4d22, 0x4147af4a],
        hash: 0x499bfa69e9c182bf,
    };
}
