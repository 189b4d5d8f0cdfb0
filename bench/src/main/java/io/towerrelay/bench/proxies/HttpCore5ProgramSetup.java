package io.towerrelay.bench.proxies;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One of the floor phase's programs built on HttpCore5 alone, run from this harness's jar with the relay's jar for
 * HttpCore5 (the version the relay runs on) and the relay's JVM options: HttpCore5's own server answering by itself
 * ({@code backend.HttpCore5Server}), the least proxy on HttpCore5's reactor in front of the backend
 * ({@code floor.ReactorProxy}), or its handlers on the JDK's selector alone ({@code floor.SelectorProxy}: its
 * sessions still implement HttpCore5's interface).
 */
public final class HttpCore5ProgramSetup implements ProxySetup {

    private final String name;
    private final String mainClass;
    private final boolean proxiesBackend;
    private final Path benchJar;
    private final Path relayJar;

    private HttpCore5ProgramSetup(String name, String mainClass, boolean proxiesBackend, Path benchJar, Path relayJar) {
        this.name = name;
        this.mainClass = mainClass;
        this.proxiesBackend = proxiesBackend;
        this.benchJar = benchJar;
        this.relayJar = relayJar;
    }

    /** HttpCore5's own HTTP/1.1 server, answering the backend's answers itself: not a proxy. */
    public static HttpCore5ProgramSetup server(Path benchJar, Path relayJar) {
        return new HttpCore5ProgramSetup("httpcore5", "io.towerrelay.bench.backend.HttpCore5Server", false, benchJar, relayJar);
    }

    /** The reactor proxy's handlers on the JDK's selector alone, in front of the backend. */
    public static HttpCore5ProgramSetup selectorProxy(Path benchJar, Path relayJar) {
        return new HttpCore5ProgramSetup("selector-proxy", "io.towerrelay.bench.floor.SelectorProxy", true, benchJar, relayJar);
    }

    /** The least proxy on HttpCore5's reactor, in front of the backend. */
    public static HttpCore5ProgramSetup reactorProxy(Path benchJar, Path relayJar) {
        return new HttpCore5ProgramSetup("reactor-proxy", "io.towerrelay.bench.floor.ReactorProxy", true, benchJar, relayJar);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean available() {
        return Files.isRegularFile(benchJar) && Files.isRegularFile(relayJar);
    }

    @Override
    public List<String> command(Path dir, int port, int backendPort) {
        List<String> cmd = new ArrayList<>(List.of("java"));
        cmd.addAll(RelaySetup.JVM_OPTIONS);
        cmd.addAll(List.of("-cp", benchJar + ":" + relayJar, mainClass, Integer.toString(port)));
        if (proxiesBackend) {
            cmd.add(Integer.toString(backendPort));
        }
        return cmd;
    }
}
