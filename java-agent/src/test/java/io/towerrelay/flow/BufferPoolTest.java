package io.towerrelay.flow;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BufferPoolTest {

    private static final int SIZE = 32 * 1024; // a tunnel pipe's large buffer

    @Test
    void boundIsInBytesNotBuffers() {
        BufferPool pool = new BufferPool(SIZE, 4L * SIZE + 100);
        assertThat(pool.capacity()).isEqualTo(4);
    }

    @Test
    void busyPipesReuseReturnedBuffersUpToTheBound() {
        BufferPool pool = new BufferPool(SIZE, 3L * SIZE);
        List<ByteBuffer> lent = lend(pool, 5);
        lent.forEach(pool::release);
        assertThat(pool.pooled()).isEqualTo(3);

        List<ByteBuffer> again = lend(pool, 3);
        assertThat(again).allMatch(b -> lent.stream().anyMatch(old -> old == b));
        assertThat(again).allMatch(b -> b.position() == 0 && b.remaining() == SIZE);
        assertThat(pool.pooled()).isZero();
    }

    @Test
    void buffersOfAnotherSizeAreNotKept() {
        BufferPool pool = new BufferPool(SIZE, 2L * SIZE);
        pool.release(ByteBuffer.allocate(SIZE * 2));
        assertThat(pool.pooled()).isZero();
    }

    @Test
    void buffersUnusedForAWholeTrimPeriodAreDropped() {
        BufferPool pool = new BufferPool(SIZE, 8L * SIZE);
        List<ByteBuffer> burst = lend(pool, 6);
        burst.forEach(pool::release);
        assertThat(pool.pooled()).isEqualTo(6);

        // One period in which only one buffer at a time is busy: five of the six were never needed.
        pool.expireTrimPeriod();
        pool.release(pool.acquire()); // starts a fresh period (the burst's period counts as all used)
        pool.expireTrimPeriod();
        pool.release(pool.acquire());
        assertThat(pool.pooled()).isEqualTo(1);
    }

    @Test
    void aDirectPoolLendsDirectBuffersUpToItsBoundAndHeapBuffersPastIt() {
        BufferPool pool = BufferPool.direct(SIZE, 2L * SIZE);
        List<ByteBuffer> lent = lend(pool, 3);
        assertThat(lent).extracting(ByteBuffer::isDirect).containsExactly(true, true, false);
        assertThat(lent).allMatch(b -> b.capacity() == SIZE);

        lent.forEach(pool::release);
        assertThat(pool.pooled()).isEqualTo(2); // the heap one was not kept
        ByteBuffer again = pool.acquire();
        assertThat(again.isDirect()).isTrue();
        assertThat(lent.subList(0, 2)).anyMatch(b -> b == again);
        assertThat(pool.directLent()).isEqualTo(2);
    }

    @Test
    void aDirectPoolKeepsItsBuffersThroughIdlePeriods() {
        // Its memory would come back only when the collector finds the buffer, which for an old one can be never.
        BufferPool pool = BufferPool.direct(SIZE, 4L * SIZE);
        List<ByteBuffer> burst = lend(pool, 4);
        burst.forEach(pool::release);
        pool.expireTrimPeriod();
        pool.release(pool.acquire());
        pool.expireTrimPeriod();
        pool.release(pool.acquire());
        assertThat(pool.pooled()).isEqualTo(4);
        for (int i = 0; i < 4; i++) {
            ByteBuffer again = pool.acquire();
            assertThat(burst).anyMatch(b -> b == again);
        }
        assertThat(pool.directLent()).isEqualTo(4);
    }

    /** {@code n} buffers from {@code pool}, all lent at the same moment. */
    private static List<ByteBuffer> lend(BufferPool pool, int n) {
        List<ByteBuffer> lent = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            lent.add(pool.acquire());
        }
        return lent;
    }
}
