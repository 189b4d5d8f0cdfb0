package io.towerrelay.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Sends a request exactly as written (absolute-form, CONNECT, oversized heads) and reads one response. */
final class RawHttp {
    private RawHttp() {}

    record Response(int status, String head, String body) {}

    static Response exchange(InetSocketAddress address, String request) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(address, 10_000);
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int matched = 0;
            while (matched < 4) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("connection closed inside the response head: " + head);
                }
                head.write(b);
                matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
            }
            String headText = head.toString(StandardCharsets.ISO_8859_1);
            int length = 0;
            for (String line : headText.split("\r\n")) {
                if (line.toLowerCase().startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            return new Response(Integer.parseInt(headText.substring(9, 12)), headText,
                    new String(in.readNBytes(length), StandardCharsets.UTF_8));
        }
    }
}
