package io.towerrelay.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class FlowBufferTest {

    @Test
    void emptyBufferGrantsTheWholeWindow() {
        FlowBuffer b = new FlowBuffer();
        assertThat(b.size()).isZero();
        assertThat(b.room()).isEqualTo(FlowBuffer.HIGH_WATER);
    }

    @Test
    void keepsEveryByteInOrderAcrossGrowthAndPastTheWindow() {
        FlowBuffer b = new FlowBuffer();
        byte[] all = new byte[FlowBuffer.HIGH_WATER + 10_000];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) (i * 31);
        }
        for (int off = 0; off < all.length; off += 7_000) {
            b.put(ByteBuffer.wrap(all, off, Math.min(7_000, all.length - off)));
        }
        assertThat(b.size()).isEqualTo(all.length);
        assertThat(b.room()).isZero();
    }
}
