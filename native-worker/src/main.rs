//! `pecsched-worker`: the PecSched command line.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod bench;
mod calibrate;
mod calibrate_production;
mod capacity;
mod gpu_info;
mod knob_flags;
mod output;
mod param_flags;
mod predict;
mod prefix_flags;
mod replay;
mod repro;
mod repro_claims;
mod scale;
mod simulate;
mod simulate_stream;
mod spool;
mod table;
mod timed;
mod trace_file;

/// PecSched: simulate LLM-inference cluster scheduling (FIFO, Reservation, Priority, PecSched).
#[derive(Parser, Debug)]
#[command(name = "pecsched-worker", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Simulate a scenario under one or more policies and print the paper's metrics.
    Simulate(simulate::SimulateArgs),
    /// Print a scenario as JSON: the embedded default (a starting point for --scenario files),
    /// or the one an explorer link holds (--link).
    Scenario(simulate::ScenarioArgs),
    /// Print predicted per-op and per-iteration times for one batch on one replica.
    Predict(predict::PredictArgs),
    /// Reproduce the paper's evaluation (4 models × 8 policies on 32 A100) beside its claims.
    Repro(repro::ReproArgs),
    /// The paper's scalability experiment: scheduler decision time vs cluster size.
    Scale(scale::ScaleArgs),
    /// Per policy, the largest arrival-rate scale at which every class meets its SLO for a
    /// stated share of its requests (default 90 %): bisection over rate scales, in parallel.
    Capacity(capacity::CapacityArgs),
    /// List Vulkan adapters, their features and limits, and which GPU kernels they run.
    GpuInfo(gpu_info::InfoArgs),
    /// Validate the GPU kernels, time them over a sweep, write points and a calibration profile.
    Bench(bench::BenchArgs),
    /// Fit the performance model to bench points; report the error on held-out shapes.
    Calibrate(calibrate::CalibrateArgs),
    /// Hardware in the loop: the scheduler drives real GPU kernels; report model vs measured.
    Replay(replay::ReplayArgs),
}

/// Ends the process quietly when stdout is a closed pipe (`pecsched-worker … | head`), and with
/// a message and exit 1 when it cannot be written otherwise (`> /dev/full`): a backstop for
/// the `println!` calls that remain (the GPU commands), which panic on a failed write. Results
/// go through [`outln!`], whose errors `main` reports. Every other panic keeps the default
/// report.
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("Broken pipe") {
            std::process::exit(141);
        }
        if let Some(why) = msg.strip_prefix("failed printing to stdout: ") {
            eprintln!("Error: cannot write to standard output: {why}");
            std::process::exit(1);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    quiet_on_broken_pipe();
    let cli = Cli::parse();
    if output::stdout_is_closed() {
        eprintln!(
            "Error: standard output is closed, so the results would be lost; redirect it to a \
             file (or to /dev/null to discard them)"
        );
        return ExitCode::FAILURE;
    }
    let result = run(cli).and_then(|()| Ok(output::flush_stdout()?));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if e.downcast_ref::<output::StdoutError>()
                .is_some_and(output::StdoutError::is_broken_pipe)
            {
                // The reader went away (`… | head`): the shell's SIGPIPE status, no message.
                return ExitCode::from(141);
            }
            eprintln!("Error: {e:?}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Simulate(args) => simulate::run(args),
        Command::Scenario(args) => simulate::print_scenario(&args),
        Command::Predict(args) => predict::run(args),
        Command::Repro(args) => repro::run(args),
        Command::Scale(args) => scale::run(args),
        Command::Capacity(args) => capacity::run(args),
        Command::GpuInfo(args) => gpu_info::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Calibrate(args) => calibrate::run(args),
        Command::Replay(args) => replay::run(args),
    }
}
