package io.towerrelay.bench.proxies;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Not a proxy: HttpCore5's own server answering the backend's answers itself ({@code backend.HttpCore5Server}),
 * with the relay's JVM options and the relay's jar for HttpCore5. The floor phase measures it next to the backend.
 */
public final class HttpCore5ServerSetup implements ProxySetup {

    private final Path benchJar;
    private final Path relayJar;

    public HttpCore5ServerSetup(Path benchJar, Path relayJar) {
        this.benchJar = benchJar;
        this.relayJar = relayJar;
    }

    @Override
    public String name() {
        return "httpcore5";
    }

    @Override
    public boolean available() {
        return Files.isRegularFile(benchJar) && Files.isRegularFile(relayJar);
    }

    @Override
    public List<String> command(Path dir, int port, int backendPort) {
        List<String> cmd = new ArrayList<>(List.of("java"));
        cmd.addAll(RelaySetup.JVM_OPTIONS);
        cmd.addAll(List.of("-cp", benchJar + ":" + relayJar, "io.towerrelay.bench.backend.HttpCore5Server", Integer.toString(port)));
        return cmd;
    }
}
