package io.towerrelay.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Scaffolding: replaced by the issue that builds {@code probe}. */
@Command(name = "probe", mixinStandardHelpOptions = true, description = "(being built)")
public final class ProbeCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UserError("probe is not built yet");
    }
}
