package io.towerrelay.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Scaffolding: replaced by the issue that builds {@code check-config}. */
@Command(name = "check-config", mixinStandardHelpOptions = true, description = "(being built)")
public final class CheckConfigCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UserError("check-config is not built yet");
    }
}
