package io.towerrelay.edge;

import io.towerrelay.config.Cidr;
import io.towerrelay.config.ForwardedConfig;
import io.towerrelay.config.LimitsConfig;
import io.towerrelay.config.ListenConfig;
import io.towerrelay.config.RelayConfig;
import io.towerrelay.config.TlsFiles;
import io.towerrelay.mock.MockTower;
import io.towerrelay.mock.MockTowerOptions;
import io.towerrelay.proxy.RelayServer;
import io.towerrelay.testsupport.TestCertificates;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.apache.hc.core5.util.Timeout;

/**
 * The PROXY protocol ITs' set-up: a mock Tower, and two in-process relays in front of it with
 * {@code listen.proxy-protocol: true} on 127.0.0.1, trusting 127.0.0.1 only, one plain and one TLS, each with its
 * access log captured.
 */
final class ProxyProtocolRelays implements AutoCloseable {
    final TestCertificates certs;
    final MockTower tower;
    final RelayServer plain;
    final RelayServer tls;
    final ByteArrayOutputStream plainLog = new ByteArrayOutputStream();
    final ByteArrayOutputStream tlsLog = new ByteArrayOutputStream();

    ProxyProtocolRelays(Path dir, Timeout headerTimeout) throws Exception {
        certs = TestCertificates.create(dir);
        tower = MockTower.start(MockTowerOptions.ephemeral());
        plain = RelayServer.start(config(null, headerTimeout), new PrintStream(plainLog, true, StandardCharsets.UTF_8));
        tls = RelayServer.start(config(new TlsFiles(certs.certPem, certs.keyPem), headerTimeout),
                new PrintStream(tlsLog, true, StandardCharsets.UTF_8));
    }

    private RelayConfig config(TlsFiles tlsFiles, Timeout headerTimeout) {
        return RelayConfig.defaults()
                .withListen(new ListenConfig(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), tlsFiles, true))
                .withForwarded(new ForwardedConfig(List.of(Cidr.parse("127.0.0.1/32"))))
                .withLimits(LimitsConfig.defaults().withHeaderTimeout(headerTimeout))
                .withAdmin(null).withUpstream(URI.create("http://" + tower.hostAndPort()))
                .withShutdownGrace(Timeout.ofSeconds(1));
    }

    /** The first access-log line containing {@code part}, or null. */
    static String accessLogLine(ByteArrayOutputStream log, String part) {
        return log.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains(part)).findFirst().orElse(null);
    }

    @Override
    public void close() {
        plain.close();
        tls.close();
        tower.close();
    }
}
