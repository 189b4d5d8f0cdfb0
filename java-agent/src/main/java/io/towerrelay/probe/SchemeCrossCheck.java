package io.towerrelay.probe;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import javax.net.ssl.SSLSocket;

/**
 * When the page does not load, asks the same port in the other scheme: a port that answers plain HTTP to an
 * https:// URL (or completes a TLS handshake for an http:// URL) is a ws:// versus wss:// mix-up, not an
 * outage. Raw sockets, so nothing about the first attempt (cookies, trust) leaks into the answer.
 */
final class SchemeCrossCheck {

    private SchemeCrossCheck() {
    }

    /** What the port says in the other scheme, e.g. "http://127.0.0.1:8080/ answers HTTP/1.1 200 OK", or null. */
    static String otherScheme(URI url, Duration timeout) {
        int port = url.getPort() != -1 ? url.getPort() : ("https".equalsIgnoreCase(url.getScheme()) ? 443 : 80);
        return "https".equalsIgnoreCase(url.getScheme())
                ? plainHttp(url.getHost(), port, timeout)
                : tls(url.getHost(), port, timeout);
    }

    private static String plainHttp(String host, int port, Duration timeout) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            socket.setSoTimeout((int) timeout.toMillis());
            String hostHeader = BrowserHeaders.host(URI.create("http://" + hostForUri(host) + ":" + port + "/"));
            socket.getOutputStream().write(("HEAD / HTTP/1.1\r\nHost: " + hostHeader + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] head = readHead(socket.getInputStream());
            HttpHead parsed = HttpHead.parse(head);
            return parsed.status() == 0 ? null
                    : "http://" + hostForUri(host) + ":" + port + "/ answers " + parsed.statusLine();
        } catch (IOException e) {
            return null;
        }
    }

    private static String tls(String host, int port, Duration timeout) {
        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            plain.setSoTimeout((int) timeout.toMillis());
            // Only whether TLS is spoken here matters, not whom to trust.
            try (SSLSocket tls = (SSLSocket) TlsTrust.trustingEverything().getSocketFactory()
                    .createSocket(plain, host, port, true)) {
                tls.startHandshake();
                return "https://" + hostForUri(host) + ":" + port + "/ completes a TLS handshake ("
                        + tls.getSession().getProtocol() + ")";
            }
        } catch (IOException e) {
            return null;
        }
    }

    private static byte[] readHead(InputStream in) throws IOException {
        byte[] buffer = new byte[4096];
        int n = 0;
        while (n < buffer.length) {
            int r = in.read(buffer, n, buffer.length - n);
            if (r < 0) {
                break;
            }
            n += r;
            if (new String(buffer, 0, n, StandardCharsets.ISO_8859_1).contains("\r\n\r\n")) {
                break;
            }
        }
        return java.util.Arrays.copyOf(buffer, n);
    }

    private static String hostForUri(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }
}
