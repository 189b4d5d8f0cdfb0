package io.towerrelay.hardening;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A client socket that writes bytes exactly as given (malformed on purpose) and reads what comes back until the
 * relay closes the connection or a deadline passes: tests see every response and whether the relay hung up.
 */
final class RawConnection implements AutoCloseable {
    private static final Pattern STATUS_LINE = Pattern.compile("(?m)^HTTP/1\\.[01] (\\d{3}) ");

    /** Everything read, and whether it ended because the relay closed (EOF or reset) rather than the deadline. */
    record Received(String text, boolean closedByRelay) {
        /** Status codes of the responses, in order. */
        java.util.List<Integer> statuses() {
            java.util.List<Integer> codes = new java.util.ArrayList<>();
            Matcher m = STATUS_LINE.matcher(text);
            while (m.find()) {
                codes.add(Integer.parseInt(m.group(1)));
            }
            return codes;
        }
    }

    private final Socket socket;

    RawConnection(InetSocketAddress address) throws IOException {
        socket = new Socket();
        socket.connect(address, 10_000);
    }

    private RawConnection(Socket connected) {
        socket = connected;
    }

    /** A TLS connection (handshake done) trusting what {@code tls} trusts. */
    static RawConnection tls(InetSocketAddress address, javax.net.ssl.SSLContext tls) throws IOException {
        Socket plain = new Socket();
        plain.connect(address, 10_000);
        javax.net.ssl.SSLSocket secure = (javax.net.ssl.SSLSocket) tls.getSocketFactory()
                .createSocket(plain, address.getHostString(), address.getPort(), true);
        secure.setSoTimeout(20_000);
        secure.startHandshake();
        return new RawConnection(secure);
    }

    RawConnection write(byte[] bytes) throws IOException {
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
        return this;
    }

    RawConnection write(String text) throws IOException {
        return write(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Reads until EOF, a reset, or {@code waitMillis} without the connection ending. */
    Received readUntilClosed(int waitMillis) throws IOException {
        socket.setSoTimeout(waitMillis);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[8192];
        try {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
            }
            return new Received(out.toString(StandardCharsets.ISO_8859_1), true);
        } catch (SocketTimeoutException stillOpen) {
            return new Received(out.toString(StandardCharsets.ISO_8859_1), false);
        } catch (IOException reset) {
            return new Received(out.toString(StandardCharsets.ISO_8859_1), true);
        }
    }

    /** Reads one response with a Content-Length body (the relay's own answers and the mock's have one). */
    String readOneResponse() throws IOException {
        String headText = readHead();
        Matcher length = Pattern.compile("(?im)^content-length:\\s*(\\d+)").matcher(headText);
        int n = length.find() ? Integer.parseInt(length.group(1)) : 0;
        return headText + new String(socket.getInputStream().readNBytes(n), StandardCharsets.ISO_8859_1);
    }

    /** Reads a response head only (a 101 has no body; what follows is the tunnel). */
    String readHead() throws IOException {
        socket.setSoTimeout(20_000);
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed inside a response head: " + head);
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    /** Makes {@link #close()} send a TCP reset: a client that vanishes rather than hangs up. */
    void resetOnClose() throws IOException {
        socket.setSoLinger(true, 0);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
