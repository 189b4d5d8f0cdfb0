package io.towerrelay.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class PipeBuffersTest {

    @Test
    void smallMessagesTakeSmallBuffersAndEveryBufferGoesBackToItsPool() {
        PipeBuffers buffers = new PipeBuffers(4L * PipeBuffers.SMALL, 4L * PipeBuffers.LARGE);
        ByteBuffer small = buffers.acquire(620);
        ByteBuffer large = buffers.acquire(PipeBuffers.SMALL + 1);
        assertThat(small.capacity()).isEqualTo(PipeBuffers.SMALL);
        assertThat(large.capacity()).isEqualTo(PipeBuffers.LARGE);
        assertThat(small.isDirect()).as("read into and written from with no copy by the JDK").isTrue();
        assertThat(large.isDirect()).isTrue();
        assertThat(buffers.scratch().isDirect()).isTrue();
        buffers.release(small);
        buffers.release(large);
        assertThat(buffers.acquire(1)).isSameAs(small);
        assertThat(buffers.acquireLarge()).isSameAs(large);
    }
}
