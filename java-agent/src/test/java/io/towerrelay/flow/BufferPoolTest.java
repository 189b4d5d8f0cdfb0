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
        List<ByteBuffer> lent = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            lent.add(pool.acquire());
        }
        lent.forEach(pool::release);
        assertThat(pool.pooled()).isEqualTo(3);

        List<ByteBuffer> again = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            again.add(pool.acquire());
        }
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
        List<ByteBuffer> burst = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            burst.add(pool.acquire());
        }
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
        List<ByteBuffer> lent = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            lent.add(pool.acquire());
        }
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
        List<ByteBuffer> burst = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            burst.add(pool.acquire());
        }
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
}
