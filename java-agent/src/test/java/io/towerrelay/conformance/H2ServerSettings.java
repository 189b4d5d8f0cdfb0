package io.towerrelay.conformance;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * The SETTINGS a server sends first on an HTTP/2 connection (RFC 9113 §3.4). A browser opens its WebSocket
 * over HTTP/2 (RFC 8441) only when these carry SETTINGS_ENABLE_CONNECT_PROTOCOL = 1; otherwise it opens
 * one on its own HTTP/1.1 connection, which is what the fronts' WebSocket paths are built for.
 */
final class H2ServerSettings {
    static final int ENABLE_CONNECT_PROTOCOL = 0x8;
    private static final int SETTINGS = 0x4;

    private H2ServerSettings() {}

    /** Connects with ALPN h2 only, sends the preface and empty SETTINGS, and reads the server's SETTINGS. */
    static Map<Integer, Long> read(InetSocketAddress address, SSLContext tls) throws IOException {
        try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket(address.getAddress(), address.getPort())) {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setApplicationProtocols(new String[] {"h2"});
            socket.setSSLParameters(parameters);
            socket.setSoTimeout(20_000);
            socket.startHandshake();
            if (!"h2".equals(socket.getApplicationProtocol())) {
                throw new IOException("ALPN chose '" + socket.getApplicationProtocol() + "', not h2");
            }
            OutputStream out = socket.getOutputStream();
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[] {0, 0, 0, SETTINGS, 0, 0, 0, 0, 0});
            out.flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            int length = (in.readUnsignedByte() << 16) | in.readUnsignedShort();
            int type = in.readUnsignedByte();
            in.readUnsignedByte(); // flags
            in.readInt(); // stream 0
            byte[] payload = new byte[length];
            in.readFully(payload);
            if (type != SETTINGS) {
                throw new IOException("the server's first frame is of type " + type + ", not SETTINGS");
            }
            Map<Integer, Long> values = new TreeMap<>();
            ByteBuffer entries = ByteBuffer.wrap(payload);
            while (entries.remaining() >= 6) {
                values.put(entries.getShort() & 0xffff, entries.getInt() & 0xffffffffL);
            }
            return values;
        }
    }
}
