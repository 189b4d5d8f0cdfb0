package io.towerrelay.h2;

import io.towerrelay.config.ListenConfig;
import io.towerrelay.config.RelayConfig;
import io.towerrelay.config.TlsFiles;
import io.towerrelay.proxy.RelayServer;
import io.towerrelay.testsupport.TestCertificates;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.apache.hc.core5.util.Timeout;

/** The relay as the HTTP/2 tests run it: a TLS listener on a free loopback port (h2 on, the default), no admin. */
final class TlsRelays {
    private TlsRelays() {
    }

    static RelayConfig config(TestCertificates certs, String upstreamHostAndPort) {
        return RelayConfig.defaults()
                .withListen(ListenConfig.defaults().withAddress(new InetSocketAddress("127.0.0.1", 0))
                        .withTls(new TlsFiles(certs.certPem, certs.keyPem)))
                .withAdmin(null)
                .withUpstream(URI.create("http://" + upstreamHostAndPort))
                .withShutdownGrace(Timeout.ofSeconds(1));
    }

    /** Starts it with the access log dropped. */
    static RelayServer start(RelayConfig config) throws IOException {
        return RelayServer.start(config, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }
}
