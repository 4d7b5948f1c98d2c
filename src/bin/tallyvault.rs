fn main() -> std::process::ExitCode {
    tallyvault::cli::main()
}
