package io.towerrelay.hardening;

import io.towerrelay.config.RelayConfig;
import io.towerrelay.proxy.RelayServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.apache.hc.core5.util.Timeout;

/** In-process relays on an ephemeral loopback port, admin listener off, access log kept out of the test output. */
final class TestRelays {
    private TestRelays() {}

    static RelayConfig config(URI upstream) {
        return RelayConfig.defaults().withListen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .withAdmin(null).withUpstream(upstream).withShutdownGrace(Timeout.ofSeconds(2));
    }

    static RelayServer start(RelayConfig config) throws IOException {
        return RelayServer.start(config, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }
}
