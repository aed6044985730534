//! Runs one `#[ignore]`d test of the current test binary in a child process
//! with environment variables set or removed: tests must not change their
//! own environment, and a choice cached per process (the GEMM kernel) needs
//! a new one. Tests that use it end in `_in_child_processes`, so that runs
//! without child processes (qemu-user without binfmt_misc) can skip them by
//! that name.

/// Runs `test` in a child process with `env` (`None` removes a variable);
/// panics unless the child ran it and it passed.
pub fn run_in_child(test: &str, env: &[(&str, Option<&str>)]) {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", test, "--ignored", "--test-threads=1"]);
    for &(name, value) in env {
        match value {
            Some(v) => cmd.env(name, v),
            None => cmd.env_remove(name),
        };
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{test} with {env:?}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
