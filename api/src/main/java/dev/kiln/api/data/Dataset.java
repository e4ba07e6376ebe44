package dev.kiln.api.data;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A pipeline of elements, each a list of tensors (features, then labels, then optional sample
 * weights), as {@code tf.data.Dataset}. Each {@link #iterator()} is a fresh pass: {@code fit} makes
 * one per epoch, and a shuffled dataset reshuffles on each pass (from its seed, so runs repeat).
 *
 * {@snippet :
 * Dataset train = Dataset.fromTensors(x, y).shuffle(60_000, 42).batch(128).prefetch(2);
 * model.fit(train, new FitOptions().epochs(10));
 * }
 */
public abstract class Dataset implements Iterable<List<Tensor>> {
  /** The number of elements a pass yields, or -1 if unknown or infinite. */
  public long cardinality() {
    return -1;
  }

  /**
   * Slices tensors along axis 0: element i is the i-th row of each.
   *
   * @throws KilnException if the tensors differ in length along axis 0
   */
  public static Dataset fromTensors(Tensor... columns) {
    return new Slices(List.of(columns), null, Slices.UNBATCHED, false);
  }

  /** A dataset over the elements a supplier's iterators yield. */
  public static Dataset fromIterable(Supplier<Iterator<List<Tensor>>> source, long cardinality) {
    return new Dataset() {
      @Override
      public Iterator<List<Tensor>> iterator() {
        return source.get();
      }

      @Override
      public long cardinality() {
        return cardinality;
      }
    };
  }

  /** Groups {@code size} consecutive elements into one, stacking each tensor along a new axis 0. */
  public Dataset batch(int size) {
    return batch(size, false);
  }

  /** As {@link #batch(int)}; drops a last, smaller batch when {@code dropRemainder}. */
  public Dataset batch(int size, boolean dropRemainder) {
    if (size <= 0) {
      throw new IllegalArgumentException(
          "batch size must be positive. Received: batch_size=" + size);
    }
    Dataset src = this;
    long card = cardinality();
    return new Dataset() {
      @Override
      public Iterator<List<Tensor>> iterator() {
        Iterator<List<Tensor>> it = src.iterator();
        return new Lookahead() {
          @Override
          List<Tensor> advance() {
            List<List<Tensor>> group = new ArrayList<>();
            while (group.size() < size && it.hasNext()) {
              group.add(it.next());
            }
            if (group.isEmpty() || (dropRemainder && group.size() < size)) {
              return null;
            }
            return stack(group);
          }
        };
      }

      @Override
      public long cardinality() {
        if (card < 0) {
          return -1;
        }
        return dropRemainder ? card / size : (card + size - 1) / size;
      }
    };
  }

  static List<Tensor> stack(List<List<Tensor>> group) {
    List<Tensor> out = new ArrayList<>();
    for (int c = 0; c < group.get(0).size(); c++) {
      List<Tensor> col = new ArrayList<>();
      for (List<Tensor> e : group) {
        col.add(e.get(c));
      }
      out.add(Tensor.stack(col));
    }
    return out;
  }

  /**
   * Shuffles with a buffer of {@code bufferSize} elements (a buffer at least the dataset's size
   * gives a uniform shuffle), differently on each pass, the same way for the same seed.
   */
  public Dataset shuffle(int bufferSize, long seed) {
    Dataset src = this;
    long card = cardinality();
    return new Dataset() {
      private int pass;

      @Override
      public Iterator<List<Tensor>> iterator() {
        SplittableRandom r = new SplittableRandom(seed + 0x9E3779B97F4A7C15L * pass++);
        Iterator<List<Tensor>> it = src.iterator();
        List<List<Tensor>> buffer = new ArrayList<>();
        return new Lookahead() {
          @Override
          List<Tensor> advance() {
            while (buffer.size() < bufferSize && it.hasNext()) {
              buffer.add(it.next());
            }
            if (buffer.isEmpty()) {
              return null;
            }
            int i = r.nextInt(buffer.size());
            List<Tensor> e = buffer.get(i);
            buffer.set(i, buffer.get(buffer.size() - 1));
            buffer.remove(buffer.size() - 1);
            return e;
          }
        };
      }

      @Override
      public long cardinality() {
        return card;
      }
    };
  }

  /** Applies {@code fn} to each element. */
  public Dataset map(Function<List<Tensor>, List<Tensor>> fn) {
    Dataset src = this;
    long card = cardinality();
    return new Dataset() {
      @Override
      public Iterator<List<Tensor>> iterator() {
        Iterator<List<Tensor>> it = src.iterator();
        return new Iterator<>() {
          @Override
          public boolean hasNext() {
            return it.hasNext();
          }

          @Override
          public List<Tensor> next() {
            return fn.apply(it.next());
          }
        };
      }

      @Override
      public long cardinality() {
        return card;
      }
    };
  }

  /** The first {@code n} elements. */
  public Dataset take(long n) {
    Dataset src = this;
    long card = cardinality();
    return new Dataset() {
      @Override
      public Iterator<List<Tensor>> iterator() {
        Iterator<List<Tensor>> it = src.iterator();
        return new Iterator<>() {
          long left = n;

          @Override
          public boolean hasNext() {
            return left > 0 && it.hasNext();
          }

          @Override
          public List<Tensor> next() {
            if (left-- <= 0) {
              throw new NoSuchElementException();
            }
            return it.next();
          }
        };
      }

      @Override
      public long cardinality() {
        return card < 0 ? (card == -1 ? -1 : n) : Math.min(card, n);
      }
    };
  }

  /** All but the first {@code n} elements. */
  public Dataset skip(long n) {
    Dataset src = this;
    long card = cardinality();
    return new Dataset() {
      @Override
      public Iterator<List<Tensor>> iterator() {
        Iterator<List<Tensor>> it = src.iterator();
        for (long i = 0; i < n && it.hasNext(); i++) {
          it.next();
        }
        return it;
      }

      @Override
      public long cardinality() {
        return card < 0 ? -1 : Math.max(0, card - n);
      }
    };
  }

  /** Repeats the dataset {@code count} times. */
  public Dataset repeat(int count) {
    Dataset src = this;
    long card = cardinality();
    return new Dataset() {
      @Override
      public Iterator<List<Tensor>> iterator() {
        return new Lookahead() {
          int done;
          Iterator<List<Tensor>> it = src.iterator();

          @Override
          List<Tensor> advance() {
            while (!it.hasNext()) {
              if (++done >= count) {
                return null;
              }
              it = src.iterator();
              if (!it.hasNext()) {
                return null;
              }
            }
            return it.next();
          }
        };
      }

      @Override
      public long cardinality() {
        return card < 0 ? -1 : card * count;
      }
    };
  }

  /**
   * Prepares up to {@code bufferSize} elements ahead on a background thread, so loading and
   * batching overlap with training.
   */
  public Dataset prefetch(int bufferSize) {
    Dataset src = this;
    long card = cardinality();
    return new Dataset() {
      @Override
      public Iterator<List<Tensor>> iterator() {
        BlockingQueue<Object> q = new ArrayBlockingQueue<>(Math.max(1, bufferSize));
        Object end = new Object();
        Thread t =
            Thread.ofPlatform()
                .daemon()
                .name("kiln-prefetch")
                .start(
                    () -> {
                      try {
                        for (List<Tensor> e : src) {
                          q.put(e);
                        }
                        q.put(end);
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                      } catch (Throwable e) {
                        // Any throwable, Errors included: a producer that dies without a word
                        // leaves the consumer waiting on the queue forever.
                        try {
                          q.put(new Failure(e));
                        } catch (InterruptedException ie) {
                          Thread.currentThread().interrupt();
                        }
                      }
                    });
        return new Lookahead() {
          private Failure failed;

          @Override
          @SuppressWarnings("unchecked")
          List<Tensor> advance() {
            if (failed != null) {
              throw failed.rethrow();
            }
            try {
              Object o = q.take();
              if (o == end) {
                return null;
              }
              if (o instanceof Failure f) {
                failed = f;
                throw f.rethrow();
              }
              return (List<Tensor>) o;
            } catch (InterruptedException e) {
              t.interrupt();
              Thread.currentThread().interrupt();
              return null;
            }
          }
        };
      }

      @Override
      public long cardinality() {
        return card;
      }
    };
  }

  /** What the prefetch thread died of, handed to the consumer. */
  private record Failure(Throwable cause) {
    /**
     * An Error is rethrown as it is (callers may rely on its type, e.g. to stop on OutOfMemory);
     * anything else is wrapped, saying it came from the prefetching thread.
     */
    RuntimeException rethrow() {
      if (cause instanceof Error e) {
        throw e;
      }
      throw new KilnException("the dataset failed while prefetching: " + cause.getMessage(), cause);
    }
  }

  /** An iterator that computes the next element ahead; null ends it. */
  abstract static class Lookahead implements Iterator<List<Tensor>> {
    private List<Tensor> next;
    private boolean ready;

    abstract List<Tensor> advance();

    @Override
    public boolean hasNext() {
      if (!ready) {
        next = advance();
        ready = true;
      }
      return next != null;
    }

    @Override
    public List<Tensor> next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      ready = false;
      return next;
    }
  }

  /** Rows of in-memory tensors; batching and shuffling copy rows straight into batches. */
  static final class Slices extends Dataset {
    /** The batch size of a dataset of single rows, unlike {@code batch(1)}'s batches of one row. */
    static final int UNBATCHED = 0;

    private final List<Tensor> columns;
    private final Long seed;
    private final int batch;
    private final boolean dropRemainder;
    private final int rows;
    private int pass;

    Slices(List<Tensor> columns, Long seed, int batch, boolean dropRemainder) {
      if (columns.isEmpty()) {
        throw new KilnException("a dataset needs at least one tensor");
      }
      int n = columns.get(0).length();
      for (int i = 1; i < columns.size(); i++) {
        if (columns.get(i).length() != n) {
          throw new KilnException(
              "Data cardinality is ambiguous: tensor 0 has "
                  + n
                  + " samples but tensor "
                  + i
                  + " has "
                  + columns.get(i).length()
                  + ". Make sure all arrays contain the same number of samples.");
        }
      }
      this.columns = columns;
      this.seed = seed;
      this.batch = batch;
      this.dropRemainder = dropRemainder;
      this.rows = n;
    }

    @Override
    public long cardinality() {
      if (batch == UNBATCHED) {
        return rows;
      }
      return dropRemainder ? rows / batch : (rows + batch - 1) / batch;
    }

    @Override
    public Dataset shuffle(int bufferSize, long s) {
      if (bufferSize >= rows && batch == UNBATCHED) {
        return new Slices(columns, s, UNBATCHED, false);
      }
      return super.shuffle(bufferSize, s);
    }

    @Override
    public Dataset batch(int size, boolean drop) {
      if (batch == UNBATCHED) {
        return new Slices(columns, seed, size, drop);
      }
      return super.batch(size, drop);
    }

    @Override
    public Iterator<List<Tensor>> iterator() {
      int[] order = new int[rows];
      for (int i = 0; i < rows; i++) {
        order[i] = i;
      }
      if (seed != null) {
        SplittableRandom r = new SplittableRandom(seed + 0x9E3779B97F4A7C15L * pass++);
        for (int i = rows - 1; i > 0; i--) {
          int j = r.nextInt(i + 1);
          int t = order[i];
          order[i] = order[j];
          order[j] = t;
        }
      }
      return new Lookahead() {
        int at;

        @Override
        List<Tensor> advance() {
          int size = Math.max(1, batch);
          if (at >= rows || (dropRemainder && rows - at < size)) {
            return null;
          }
          int end = Math.min(rows, at + size);
          int[] idx = java.util.Arrays.copyOfRange(order, at, end);
          at = end;
          List<Tensor> out = new ArrayList<>();
          for (Tensor c : columns) {
            Tensor rowsOf = c.take(idx);
            out.add(batch == UNBATCHED ? rowsOf.reshape(dropFirst(rowsOf.dims())) : rowsOf);
          }
          return out;
        }
      };
    }

    private static int[] dropFirst(int[] d) {
      return java.util.Arrays.copyOfRange(d, 1, d.length);
    }
  }
}
