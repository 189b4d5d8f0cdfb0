package io.towerrelay.hardening;

import java.nio.ByteBuffer;
import java.util.Arrays;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;

/** The bytes of a real TLS ClientHello, made by the JDK's own TLS engine (what a browser sends to https://). */
final class TlsClientHello {
    private TlsClientHello() {}

    static byte[] bytes(String serverName) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, null, null);
        SSLEngine engine = context.createSSLEngine(serverName, 443);
        engine.setUseClientMode(true);
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        return Arrays.copyOf(out.array(), out.limit());
    }
}
