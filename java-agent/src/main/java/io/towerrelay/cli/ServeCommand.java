package io.towerrelay.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Scaffolding: replaced by the issue that builds {@code serve}. */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "(being built)")
public final class ServeCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UserError("serve is not built yet");
    }
}
