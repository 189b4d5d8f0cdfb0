package io.towerrelay.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code tower-relay.jar}: one subcommand per thing a user runs. */
@Command(
        name = "tower-relay",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Reverse proxy that keeps Ansible Tower / AWX live events (WebSockets) working.",
        subcommands = {
            ServeCommand.class,
            CheckConfigCommand.class,
            MockTowerCommand.class,
            DemoCommand.class,
            ProbeCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code; tests call this instead of {@link #main}. */
    public static int run(String... args) {
        return new CommandLine(new Main())
                .setExecutionExceptionHandler(new UserErrorHandler())
                .execute(args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (serve, check-config, mock-tower, demo, probe)");
    }
}
