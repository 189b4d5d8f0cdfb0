package io.towerrelay.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A relay restarted behind a load balancer binds its admin port again at once: the balancer's health checks
 * leave connections the admin listener closed in TIME_WAIT on that port, which without SO_REUSEADDR keep the
 * port from being bound for a minute (HAProxy's checks in the Molecule scenario cluster did).
 */
class AdminServerRebindTest {

    @Test
    void bindsTheSamePortAgainWhileItsClosedConnectionsAreInTimeWait() throws Exception {
        InetSocketAddress bound;
        try (AdminServer first = AdminServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                new RelayMetrics(), UpstreamProbe.CURRENT, System.nanoTime())) {
            bound = first.address();
            // As a health check does: one request, and the server closes the connection first (TIME_WAIT on its side).
            assertThat(healthCheck(bound)).startsWith("HTTP/1.1 ");
        }
        try (AdminServer second = AdminServer.start(bound, new RelayMetrics(), UpstreamProbe.CURRENT, System.nanoTime())) {
            assertThat(second.address().getPort()).isEqualTo(bound.getPort());
            assertThat(healthCheck(second.address())).startsWith("HTTP/1.1 ");
        }
    }

    private static String healthCheck(InetSocketAddress admin) throws Exception {
        try (Socket socket = new Socket(admin.getAddress(), admin.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write("GET /healthz HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            in.transferTo(answer);  // until the server closes
            return answer.toString(StandardCharsets.US_ASCII);
        }
    }
}
