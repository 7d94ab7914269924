//! Prints the GraphQL schema (SDL) built from the catalog: `cargo run -p api --bin print_sdl`.

fn main() -> std::process::ExitCode {
    match api::graphql::sdl() {
        Ok(sdl) => {
            println!("{sdl}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}
