package io.towerrelay.h2;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpConnection;
import org.apache.hc.core5.http2.frame.RawFrame;
import org.apache.hc.core5.http2.impl.nio.H2StreamListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** TEMPORARY: logs GOAWAY and RST_STREAM the relay sends. */
final class DebugFrames implements H2StreamListener {
    static final DebugFrames INSTANCE = new DebugFrames();
    private static final Logger LOG = LoggerFactory.getLogger(DebugFrames.class);

    @Override
    public void onHeaderInput(HttpConnection connection, int streamId, List<? extends Header> headers) {
    }

    @Override
    public void onHeaderOutput(HttpConnection connection, int streamId, List<? extends Header> headers) {
    }

    @Override
    public void onFrameInput(HttpConnection connection, int streamId, RawFrame frame) {
    }

    @Override
    public void onFrameOutput(HttpConnection connection, int streamId, RawFrame frame) {
        if (frame.getType() == 7 || frame.getType() == 3) {
            var p = frame.getPayload().duplicate();
            byte[] b = new byte[p.remaining()];
            p.get(b);
            LOG.info("out type {} stream {}: {}", frame.getType(), streamId, new String(b, StandardCharsets.ISO_8859_1));
        }
    }

    @Override
    public void onInputFlowControl(HttpConnection connection, int streamId, int delta, int actualSize) {
    }

    @Override
    public void onOutputFlowControl(HttpConnection connection, int streamId, int delta, int actualSize) {
    }
}
