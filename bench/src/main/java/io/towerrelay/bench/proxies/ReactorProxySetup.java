package io.towerrelay.bench.proxies;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The least proxy on HttpCore5's reactor ({@code floor.ReactorProxy}), in front of the backend, with the relay's JVM
 * options and the relay's jar for HttpCore5. The floor phase measures it next to the backend and HttpCore5's server.
 */
public final class ReactorProxySetup implements ProxySetup {

    private final Path benchJar;
    private final Path relayJar;

    public ReactorProxySetup(Path benchJar, Path relayJar) {
        this.benchJar = benchJar;
        this.relayJar = relayJar;
    }

    @Override
    public String name() {
        return "reactor-proxy";
    }

    @Override
    public boolean available() {
        return Files.isRegularFile(benchJar) && Files.isRegularFile(relayJar);
    }

    @Override
    public List<String> command(Path dir, int port, int backendPort) {
        List<String> cmd = new ArrayList<>(List.of("java"));
        cmd.addAll(RelaySetup.JVM_OPTIONS);
        cmd.addAll(List.of("-cp", benchJar + ":" + relayJar, "io.towerrelay.bench.floor.ReactorProxy",
                Integer.toString(port), Integer.toString(backendPort)));
        return cmd;
    }
}
