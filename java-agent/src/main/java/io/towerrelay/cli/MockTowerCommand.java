package io.towerrelay.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Scaffolding: replaced by the issue that builds {@code mock-tower}. */
@Command(name = "mock-tower", mixinStandardHelpOptions = true, description = "(being built)")
public final class MockTowerCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UserError("mock-tower is not built yet");
    }
}
