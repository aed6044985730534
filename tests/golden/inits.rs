// Golden values of every initializer: at seed 42
// (`Xoshiro256PlusPlus::seed_from_u64(42)`), each fills a 784×256 buffer
// (`Fans::new(784, 256)`, i.e. W [256 × 784]) unless the entry names other
// fans (`name(fan_in, fan_out)`); the entries pin the f32 bit patterns of
// its first 16 values and the FNV-1a-64 hash of all of them (little-endian
// bytes). Pinned once from this implementation; changing one is a breaking
// change of deepinit.
//
// Included by tests/init_golden.rs (one test per entry) and by the
// firmware in embedded/ (all entries on the chip), each with its own
// `golden_inits!` macro, which calls `golden_fans!` for an entry's fans.

/// An entry's fans: 784×256 unless it names its own.
macro_rules! golden_fans {
    () => {
        Fans::new(784, 256)
    };
    ($fan_in:expr, $fan_out:expr) => {
        Fans::new($fan_in, $fan_out)
    };
}

golden_inits! {
    constant: Init::constant(0.25), [
        0x3e800000, 0x3e800000, 0x3e800000, 0x3e800000, 0x3e800000, 0x3e800000, 0x3e800000, 0x3e800000,
        0x3e800000, 0x3e800000, 0x3e800000, 0x3e800000, 0x3e800000, 0x3e800000, 0x3e800000, 0x3e800000,
    ], 0x63d8da9c4cf72325;

    zeros: Init::zeros(), [
        0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000,
        0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000,
    ], 0x632a95891f772325;

    uniform: Init::uniform(-0.05, 0.05), [
        0xbcbe851a, 0x3d00bd49, 0xbc81cf50, 0xbc946bfc, 0xbd395e85, 0x3d4633f9, 0xbd383fab, 0x3ca4c532,
        0xbb92fab0, 0x3cf0705a, 0xbc9efd3a, 0x3c10572c, 0xbd163c78, 0xbd1974a6, 0xbd350b88, 0x3c2c3b8c,
    ], 0xc0f833cc84dd6748;

    normal: Init::normal(0.0, 0.02), [
        0x3be8a3d8, 0xbcfcc390, 0xbc1f0c82, 0xbc28ffa6, 0xbab4e325, 0x3c2e316a, 0xba97dc24, 0xbcca57e4,
        0x3c724c9d, 0x3d08bbe7, 0x3c1bf41a, 0xbd3c689e, 0xbba0796b, 0x3a0d7566, 0xbb15d95b, 0x3d161848,
    ], 0x62647cbf10981ce0;

    truncated_normal: Init::truncated_normal(0.0, 0.05, -0.1, 0.1), [
        0x3c916667, 0xbd9dfa3b, 0xbcc6cfa3, 0xbcd33f90, 0xbb621bef, 0x3cd9bdc5, 0xbb3dd32e, 0xbd7ceddd,
        0x3d176fe3, 0x3daaeae1, 0x3cc2f121, 0xbd651e3a, 0xbc4897c6, 0x3ab0d2bf, 0xbbbb4fb3, 0x3dbb9e5b,
    ], 0x72a95ce64fab46c4;

    truncated_normal_narrow: Init::truncated_normal(0.1, 0.05, 0.0, 0.15), [
        0x3df12667, 0x3cbb4a48, 0x3d9b18e4, 0x3d97fce9, 0x3dc5bbee, 0x3e019e1f, 0x3dc6de34, 0x3d1cabbd,
        0x3e0c425f, 0x3d347b60, 0x3dfd8915, 0x3d7f1748, 0x3db3b9d4, 0x3dcf9018, 0x3dc117d2, 0x3dabe8bc,
    ], 0x793456bcb3c8e214;

    truncated_normal_far_tail: Init::truncated_normal(0.0, 1.0, 8.0, 9.0), [
        0x410350f7, 0x410821cb, 0x41031b6e, 0x41004389, 0x41007568, 0x41019d72, 0x41023e8f, 0x4101042b,
        0x410078a8, 0x4101b168, 0x410058f1, 0x4102150f, 0x41035528, 0x41011809, 0x410175b6, 0x41002c82,
    ], 0x4566f4019735fe0a;

    truncated_normal_left_tail: Init::truncated_normal(1.0, 0.5, -1.0, 0.0), [
        0xbeb28835, 0xbea74606, 0xbce33c42, 0xbd458487, 0xbe2de3b8, 0xbe71a709, 0xbddad8e6, 0xbd4afd0f,
        0xbe36492c, 0xbd15a0b0, 0xbe6032a4, 0xbeb369be, 0xbdeb8f1b, 0xbe1d2d6e, 0xbc95c132, 0xbe86bfa1,
    ], 0x700d59c6212e661b;

    variance_scaling_avg_truncated: Init::variance_scaling(2.0, FanMode::Avg, Distribution::TruncatedNormal), [
        0x3ccd06c4, 0xbddec2ff, 0xbd0c2b99, 0xbd14f067, 0xbb9f6aa5, 0x3d198454, 0xbb85d5ad, 0xbdb2536b,
        0x3d558a07, 0x3df1021e, 0x3d09713f, 0xbda189bc, 0xbc8d6d31, 0x3af955fb, 0xbc040ffe, 0x3e044773,
    ], 0xf50dfa189de094dd;

    variance_scaling_geo_uniform: Init::variance_scaling(1.0, FanMode::GeoAvg, Distribution::Uniform), [
        0xbd1be7dc, 0x3d52b304, 0xbcd47380, 0xbcf2e988, 0xbd97b0d8, 0x3da23164, 0xbd96c61c, 0x3d06d596,
        0xbbf08d20, 0x3d44c158, 0xbd021a82, 0x3c6c3b90, 0xbd75e1b8, 0xbd7b269a, 0xbd9426fa, 0x3c8cf0e0,
    ], 0x4629b0fd259cc161;

    variance_scaling_out_normal: Init::variance_scaling(0.5, FanMode::Out, Distribution::Normal), [
        0x3c808444, 0xbd8ba237, 0xbcafb9d0, 0xbcbab808, 0xbb47daa6, 0x3cc0753a, 0xbb27c879, 0xbd5f8f55,
        0x3d05da4b, 0x3d971237, 0x3cac4e51, 0xbdd02a05, 0xbc314cfb, 0x3a9c4a87, 0xbba58fb6, 0x3da5d53c,
    ], 0x4905b975bb6e96ac;

    xavier_uniform: Init::xavier_uniform(1.0), [
        0xbd10b5d4, 0x3d4391b4, 0xbcc531fc, 0xbce1780c, 0xbd8ccc4b, 0x3d968bc6, 0xbd8bf26a, 0x3cfa4dd4,
        0xbbdf4710, 0x3d36a05e, 0xbcf18598, 0x3c5b44e0, 0xbd6439a5, 0xbd691daa, 0xbd89837a, 0x3c82d1f0,
    ], 0x05977ac925b5255b;

    xavier_normal: Init::xavier_normal(1.0), [
        0x3c7f0c69, 0xbd8a8e2e, 0xbcae5e6d, 0xbcb946e9, 0xbb464f90, 0x3cbef8c3, 0xbb267cca, 0xbd5dd562,
        0x3d04d1af, 0x3d95e791, 0x3caaf9b1, 0xbdce8e81, 0xbc2fee7b, 0x3a9b1590, 0xbba4486b, 0x3da48d68,
    ], 0x92582e10a543d4e0;

    kaiming_uniform_leaky_out: Init::kaiming_uniform(Nonlinearity::LeakyRelu(0.01), FanMode::Out), [
        0xbd91d443, 0x3dc514ce, 0xbd46b84e, 0xbd633654, 0xbe0de2fc, 0x3e17b5c3, 0xbe0d076c, 0x3d7c3d44,
        0xbc610100, 0x3db809d8, 0xbd7363a8, 0x3cdcf6e0, 0xbde5fd62, 0xbdeaeb16, 0xbe0a93aa, 0x3d03d4e0,
    ], 0xa9c6fe422eb6455d;

    kaiming_normal_tanh_in: Init::kaiming_normal(Nonlinearity::Tanh, FanMode::In), [
        0x3cad1863, 0xbdbc1183, 0xbcecae0b, 0xbcfb7c6f, 0xbb8696b9, 0x3d019ba0, 0xbb61fb67, 0xbd968d96,
        0x3d34483e, 0x3dcb7924, 0x3ce812de, 0xbe0c2f5e, 0xbc6ecd10, 0x3ad280fc, 0xbbdefd5b, 0x3ddf5afe,
    ], 0x658fdc168707da69;

    he_uniform: Init::he_uniform(), [
        0xbd26ab93, 0x3d613f3a, 0xbce31eb0, 0xbd01d790, 0xbda22a0e, 0x3dad643b, 0xbda12f1d, 0x3d1024da,
        0xbc009480, 0x3d525716, 0xbd0b1627, 0x3c7c8b18, 0xbd836de6, 0xbd863ee9, 0xbd9e61a4, 0x3c96ac10,
    ], 0x821e293ecdfea678;

    he_normal: Init::he_normal(), [
        0x3c92e04e, 0xbd9f94d2, 0xbcc8d45c, 0xbcd5649c, 0xbb64679a, 0x3cdbf3b1, 0xbb3fc08b, 0xbd7f7f3d,
        0x3d18f97a, 0x3daca71a, 0x3cc4ebcb, 0xbdede6e1, 0xbc4aa120, 0x3ab29e52, 0xbbbd3687, 0x3dbd85fc,
    ], 0xabe14e4dd304db80;

    lecun_uniform: Init::lecun_uniform(), [
        0xbcebb510, 0x3d1f460f, 0xbca09916, 0xbcb79fd8, 0xbd6555bd, 0x3d75366f, 0xbd63f2db, 0x3ccbd9ae,
        0xbbb5d6f8, 0x3d14bba5, 0xbcc4b2b4, 0x3c32933c, 0xbd39de7d, 0xbd3dda26, 0xbd5ffc33, 0x3c551524,
    ], 0x33ac2784cb6284a3;

    lecun_normal: Init::lecun_normal(), [
        0x3c6c23b1, 0xbd804874, 0xbca170f9, 0xbcab8a6e, 0xbb379bb4, 0x3cb0d032, 0xbb1a24ec, 0xbd4d6312,
        0x3cf5f1a8, 0x3d8aca70, 0x3c9e4ca5, 0xbd3a0d35, 0xbc22e35f, 0x3a8f9620, 0xbb981a65, 0x3d985a44,
    ], 0x014abdae229143c7;

    eye: Init::eye(), [
        0x3f800000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000,
        0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000,
    ], 0x7e4e2107f3377b25;

    sparse: Init::sparse(0.1, 0.01), [
        0x3b68a3d8, 0xbc7cc390, 0xbb9f0c82, 0xbba8ffa6, 0xba34e325, 0x00000000, 0xba17dc24, 0xbc4a57e4,
        0x3bf24c9d, 0x3c88bbe7, 0x3b9bf41a, 0xbcbc689e, 0xbb20796b, 0x398d7566, 0xba95d95b, 0x3c961848,
    ], 0xb2d943b33cb81735;

    #[cfg(feature = "alloc")]
    orthogonal: Init::orthogonal(1.0), [
        0x3c4b0149, 0xbd5c90c0, 0xbc8ac9d0, 0xbc93787c, 0xbb1dd848, 0x3c9800db, 0xbb0483e2, 0xbd309154,
        0x3cd36f10, 0x3d6ea1d1, 0x3c881659, 0xbda4687a, 0xbc0c083c, 0x3a76e0aa, 0xbb82c2ac, 0x3d82f995,
    ], 0xecf28fefc25f0d7e;

    // The tall case (fan_out ≥ fan_in: Q's columns are W's columns) at a
    // size every board holds; the entry above is the wide case.
    #[cfg(feature = "alloc")]
    orthogonal_tall(32, 48): Init::orthogonal(1.0), [
        0x3d5f6145, 0xbe6bd9ed, 0xbe140c13, 0xbd5a36c2, 0xbd27fc4d, 0x3db5cba9, 0x3cefd864, 0xbe4f4438,
        0x3e1423ab, 0x3ea283be, 0x3de68df4, 0xbe34ae73, 0xbded3065, 0x3e28b5c3, 0x3cdd03d1, 0x3e818d56,
    ], 0x67fbc0c0044d66c3;
}
