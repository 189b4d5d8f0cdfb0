package io.towerrelay.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Scaffolding: replaced by the issue that builds {@code demo}. */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "(being built)")
public final class DemoCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UserError("demo is not built yet");
    }
}
