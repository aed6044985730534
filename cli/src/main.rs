//! The `deepinit` command-line program.

fn main() {
    let arg = std::env::args().nth(1);
    match arg.as_deref() {
        Some("--version") => println!("deepinit {}", env!("CARGO_PKG_VERSION")),
        _ => println!("deepinit {}: work in progress", env!("CARGO_PKG_VERSION")),
    }
}
