use deepinit::gemm::{gemm, gemm_workspace_len};
use deepinit::mat::{MatMut, MatRef};
use std::time::Instant;
fn t<F: FnMut()>(name: &str, flops: f64, mut f: F) {
    let mut best = f64::MAX;
    for _ in 0..30 {
        let s = Instant::now();
        for _ in 0..20 {
            f();
        }
        best = best.min(s.elapsed().as_secs_f64() / 20.0);
    }
    println!(
        "{name}: {:.1} us  {:.1} GFLOP/s",
        best * 1e6,
        flops / best / 1e9
    );
}
fn main() {
    let (b, i, o) = (100, 784, 256);
    let x = vec![0.5f32; b * i];
    let w = vec![0.01f32; o * i];
    let mut z = vec![0f32; b * o];
    let dz = vec![0.01f32; b * o];
    let mut dw = vec![0f32; o * i];
    let mut ws = vec![0f32; gemm_workspace_len(1024, 1024, 1024)];
    let fl = 2.0 * (b * i * o) as f64;
    t("fwd  X·Wt -> Z", fl, || {
        gemm(
            1.0,
            MatRef::from_row_major(&x, b, i).unwrap(),
            MatRef::from_row_major(&w, o, i).unwrap().t(),
            0.0,
            MatMut::from_row_major(&mut z, b, o).unwrap(),
            &mut ws,
        )
    });
    t("fwd  W·Xt -> Zt", fl, || {
        gemm(
            1.0,
            MatRef::from_row_major(&w, o, i).unwrap(),
            MatRef::from_row_major(&x, b, i).unwrap().t(),
            0.0,
            MatMut::from_row_major(&mut z, b, o).unwrap().t(),
            &mut ws,
        )
    });
    t("dW   dZt·X -> dW", fl, || {
        gemm(
            1.0,
            MatRef::from_row_major(&dz, b, o).unwrap().t(),
            MatRef::from_row_major(&x, b, i).unwrap(),
            0.0,
            MatMut::from_row_major(&mut dw, o, i).unwrap(),
            &mut ws,
        )
    });
    t("dW   Xt·dZ -> dWt", fl, || {
        gemm(
            1.0,
            MatRef::from_row_major(&x, b, i).unwrap().t(),
            MatRef::from_row_major(&dz, b, o).unwrap(),
            0.0,
            MatMut::from_row_major(&mut dw, o, i).unwrap().t(),
            &mut ws,
        )
    });
    let mut dx = vec![0f32; b * i];
    t("dX   dZ·W -> dX", fl, || {
        gemm(
            1.0,
            MatRef::from_row_major(&dz, b, o).unwrap(),
            MatRef::from_row_major(&w, o, i).unwrap(),
            0.0,
            MatMut::from_row_major(&mut dx, b, i).unwrap(),
            &mut ws,
        )
    });
    t("dX   Wt·dZt -> dXt", fl, || {
        gemm(
            1.0,
            MatRef::from_row_major(&w, o, i).unwrap().t(),
            MatRef::from_row_major(&dz, b, o).unwrap().t(),
            0.0,
            MatMut::from_row_major(&mut dx, b, i).unwrap().t(),
            &mut ws,
        )
    });
}
