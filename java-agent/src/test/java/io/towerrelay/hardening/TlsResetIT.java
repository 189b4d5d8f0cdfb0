package io.towerrelay.hardening;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.towerrelay.config.ListenConfig;
import io.towerrelay.config.TlsFiles;
import io.towerrelay.mock.MockTower;
import io.towerrelay.mock.MockTowerOptions;
import io.towerrelay.proxy.RelayServer;
import io.towerrelay.testsupport.RawHttp;
import io.towerrelay.testsupport.TestCertificates;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A TLS client that resets its connection (a browser tab killed, a balancer's check, a load tool stopping) is gone
 * for the relay too: the connection is closed and counted out, and the I/O threads go back to sleep. A reset
 * socket stays readable and each read fails; HttpCore5's TLS layer answered the failure with a graceful close that
 * waits for the peer's close_notify, read again, and never timed out (each failed read counted as activity): one
 * reset connection kept an I/O thread at 100 % CPU until the relay was restarted.
 */
class TlsResetIT {
    @TempDir
    static Path dir;

    @Test
    void aResetTlsConnectionIsClosedAndLeavesTheIoThreadsIdle() throws Exception {
        TestCertificates certs = TestCertificates.create(dir);
        try (MockTower tower = MockTower.start(MockTowerOptions.ephemeral());
                RelayServer relay = TestRelays.start(TestRelays.config(URI.create("http://" + tower.hostAndPort()))
                        .withListen(new ListenConfig(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                                new TlsFiles(certs.certPem, certs.keyPem))))) {
            // One after an HTTP/1.1 exchange, one right after a handshake that chose HTTP/2, one mid-request.
            try (Socket socket = connect(relay)) {
                SSLSocket secure = handshake(certs, relay, socket, "http/1.1");
                RawHttp.send(secure, "GET /api/v2/ping/ HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(RawHttp.read(secure.getInputStream()).status()).isEqualTo(200);
                reset(socket);
            }
            try (Socket socket = connect(relay)) {
                handshake(certs, relay, socket, "h2");
                reset(socket);
            }
            try (Socket socket = connect(relay)) {
                SSLSocket secure = handshake(certs, relay, socket, "http/1.1");
                RawHttp.send(secure, "POST /api/v2/ping/ HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{");
                reset(socket);
            }

            await().atMost(Duration.ofSeconds(10)).until(() -> relay.metrics().activeConnections() == 0);
            Thread.sleep(500); // what the resets left to do, done
            assertThat(ioThreadsCpuMillis(Duration.ofSeconds(1)))
                    .as("CPU time of the relay's I/O threads in one second with no client connected, ms")
                    .isLessThan(300);

            // Still serving.
            try (Socket socket = connect(relay)) {
                SSLSocket secure = handshake(certs, relay, socket, "http/1.1");
                RawHttp.send(secure, "GET /api/v2/ping/ HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(RawHttp.read(secure.getInputStream()).status()).isEqualTo(200);
            }
        }
    }

    private static Socket connect(RelayServer relay) throws Exception {
        Socket socket = new Socket();
        socket.connect(relay.listenAddress(), 10_000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    private static SSLSocket handshake(TestCertificates certs, RelayServer relay, Socket socket, String protocol)
            throws Exception {
        SSLSocket secure = (SSLSocket) certs.clientContext().getSocketFactory()
                .createSocket(socket, "localhost", relay.listenAddress().getPort(), false);
        SSLParameters parameters = secure.getSSLParameters();
        parameters.setApplicationProtocols(new String[] {protocol});
        secure.setSSLParameters(parameters);
        secure.startHandshake();
        assertThat(secure.getApplicationProtocol()).isEqualTo(protocol);
        return secure;
    }

    /** Closes the TCP connection with a reset (SO_LINGER 0), without close_notify. */
    private static void reset(Socket socket) throws Exception {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    /** CPU time the relay's I/O threads (relay-io-N) use in {@code window}. */
    private static long ioThreadsCpuMillis(Duration window) throws InterruptedException {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long before = ioThreadsCpuNanos(threads);
        Thread.sleep(window.toMillis());
        return (ioThreadsCpuNanos(threads) - before) / 1_000_000;
    }

    private static long ioThreadsCpuNanos(ThreadMXBean threads) {
        long total = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("relay-io-")) {
                total += Math.max(0, threads.getThreadCpuTime(t.getId()));
            }
        }
        return total;
    }
}
