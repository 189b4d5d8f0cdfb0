package io.towerrelay.bench.proxies;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * tower-relay from the built jar, with the JVM options the Ansible role installs by default
 * ({@code relay_java_opts: [-Xms64m, -Xmx256m, -XX:+UseSerialGC]}) and a config equivalent to the others.
 */
public final class RelaySetup implements ProxySetup {

    /** The JVM options the Ansible role installs by default. */
    public static final List<String> JVM_OPTIONS = List.of("-Xms64m", "-Xmx256m", "-XX:+UseSerialGC");

    private final Path jar;
    private final List<String> extraJvmOptions;

    public RelaySetup(Path jar, List<String> extraJvmOptions) {
        this.jar = jar;
        this.extraJvmOptions = List.copyOf(extraJvmOptions);
    }

    @Override
    public String name() {
        return "relay";
    }

    @Override
    public boolean available() {
        return Files.isRegularFile(jar);
    }

    @Override
    public List<String> command(Path dir, int port, int backendPort) throws IOException {
        Files.createDirectories(dir);
        String conf = """
                listen:
                  address: 127.0.0.1:%1$d
                admin:
                  address: "off"
                upstream:
                  url: http://127.0.0.1:%2$d
                  pool-size: 64
                websocket:
                  idle-timeout: 1h
                limits:
                  max-connections: 20000
                access-log: "off"
                shutdown-grace: 1s
                """.formatted(port, backendPort);
        Path file = dir.resolve("relay.yml");
        Files.writeString(file, conf);
        List<String> cmd = new ArrayList<>(List.of("java"));
        cmd.addAll(JVM_OPTIONS);
        cmd.addAll(extraJvmOptions);
        cmd.addAll(List.of("-jar", jar.toString(), "serve", "--config", file.toString()));
        return cmd;
    }
}
