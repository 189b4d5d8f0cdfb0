package io.towerrelay.h2;

import static org.assertj.core.api.Assertions.assertThat;

import io.towerrelay.config.RelayConfig;
import io.towerrelay.mock.MockTower;
import io.towerrelay.mock.MockTowerOptions;
import io.towerrelay.proxy.RelayServer;
import io.towerrelay.testsupport.TestCertificates;
import java.nio.file.Path;
import org.apache.hc.core5.util.Timeout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * limits.header-timeout bounds the wait for a request head. Over HTTP/2, frames that start no request (a PING, a
 * WINDOW_UPDATE after a download) must not start that clock: an idle HTTP/2 connection lives until
 * client-idle-timeout, as an idle HTTP/1.1 keep-alive connection does.
 */
class H2IdleConnectionIT {

    @Test
    void aPingOnAnIdleConnectionDoesNotStartTheHeaderDeadline(@TempDir Path dir) throws Exception {
        TestCertificates certs = TestCertificates.create(dir);
        try (MockTower tower = MockTower.start(MockTowerOptions.ephemeral())) {
            RelayConfig config = TlsRelays.config(certs, tower.hostAndPort());
            config = config.withLimits(config.limits().withHeaderTimeout(Timeout.ofSeconds(1)));
            try (RelayServer relay = TlsRelays.start(config);
                    RawH2Client c = new RawH2Client(relay.listenAddress(), certs.clientContext())) {
                c.get(1, "/api/v2/ping/");
                c.flush();
                assertThat(statusOn(c, 1)).isEqualTo(200);
                c.frame(RawH2Client.PING, 0, 0, new byte[8]);
                c.flush();
                assertThat(c.readUntil(RawH2Client.PING)).isNotNull();
                Thread.sleep(2_500); // more than twice the header timeout
                c.get(3, "/api/v2/ping/");
                c.flush();
                assertThat(statusOn(c, 3)).as("the connection is still open and serving").isEqualTo(200);
            }
        }
    }

    private static int statusOn(RawH2Client c, int stream) throws Exception {
        for (RawH2Client.Frame f; (f = c.read()) != null; ) {
            if (f.type() == RawH2Client.HEADERS) {
                int status = c.status(f);
                if (f.streamId() == stream) {
                    return status;
                }
            }
        }
        return -1;
    }
}
