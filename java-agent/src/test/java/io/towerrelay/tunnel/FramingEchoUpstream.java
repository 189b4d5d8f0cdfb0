package io.towerrelay.tunnel;

import io.towerrelay.testsupport.RawHttp;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;

/**
 * A WebSocket echo server in a few lines of blocking I/O, one thread per connection: answers the handshake,
 * then returns each client frame unmasked, close frames included. Used where Java-WebSocket's server is not
 * dependable under load (with 1,000 connections a few of its echoes go missing even without any relay).
 */
final class FramingEchoUpstream implements AutoCloseable {

    private final ServerSocket socket;
    /** "close CODE REASON" for every close frame received. */
    final java.util.concurrent.BlockingQueue<String> closes = new java.util.concurrent.LinkedBlockingQueue<>();

    FramingEchoUpstream() throws IOException {
        socket = new ServerSocket();
        socket.bind(new InetSocketAddress("127.0.0.1", 0), 2048);
        Thread acceptor = new Thread(this::acceptLoop, "framing-echo");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    URI uri(String scheme) {
        return URI.create(scheme + "://127.0.0.1:" + socket.getLocalPort());
    }

    private void acceptLoop() {
        while (!socket.isClosed()) {
            try {
                Socket connection = socket.accept();
                Thread worker = new Thread(null, () -> serve(connection), "framing-echo-conn", 256 * 1024);
                worker.setDaemon(true);
                worker.start();
            } catch (IOException ex) {
                return;
            }
        }
    }

    private void serve(Socket connection) {
        try (connection) {
            DataInputStream in = new DataInputStream(connection.getInputStream());
            OutputStream out = connection.getOutputStream();
            String request = RawHttp.head(in);
            out.write(RawHttp.bytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: " + RawHttp.accept(RawHttp.headerOf(request, "Sec-WebSocket-Key")) + "\r\n\r\n"));
            out.flush();
            for (;;) {
                int b0 = in.read();
                if (b0 < 0) {
                    return;
                }
                int b1 = in.readUnsignedByte();
                long length = b1 & 0x7f;
                if (length == 126) {
                    length = in.readUnsignedShort();
                } else if (length == 127) {
                    length = in.readLong();
                }
                byte[] mask = new byte[4];
                if ((b1 & 0x80) != 0) {
                    in.readFully(mask);
                }
                byte[] payload = new byte[(int) length];
                in.readFully(payload);
                for (int i = 0; i < payload.length; i++) {
                    payload[i] ^= mask[i & 3];
                }
                byte[] header = length < 126 ? new byte[] {(byte) b0, (byte) length}
                        : new byte[] {(byte) b0, 126, (byte) (length >>> 8), (byte) length};
                out.write(header);
                out.write(payload);
                out.flush();
                if ((b0 & 0x0f) == 0x8) {
                    int code = payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
                    String reason = payload.length > 2
                            ? new String(payload, 2, payload.length - 2, java.nio.charset.StandardCharsets.UTF_8) : "";
                    closes.add("close " + code + " " + reason);
                    return; // close frame echoed: the server closes the connection, as RFC 6455 asks
                }
            }
        } catch (IOException ignored) {
            // the client went away
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
