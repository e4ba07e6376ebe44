package dev.kiln.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.kiln.engine.cuda.driver.Cublas;
import dev.kiln.spi.DType;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.ConvSpec;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Padding;
import dev.kiln.spi.ir.Value;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The cuBLAS restatement of the GEMM launches: run column-major as cuBLAS defines {@code
 * sgemmStridedBatched}, it gives what the row-major launch gives.
 */
class CublasGemmTest {
  private static final long A = 1000;
  private static final long B = 2_000_000;
  private static final long C = 4_000_000;

  /** Column-major strided-batched sgemm over one flat memory, addresses in elements. */
  private static void columnMajor(CublasGemm g, double[] mem) {
    for (int z = 0; z < g.batch(); z++) {
      for (int i = 0; i < g.m(); i++) {
        for (int j = 0; j < g.n(); j++) {
          double acc = 0;
          for (int p = 0; p < g.k(); p++) {
            long a =
                g.first()
                    + z * g.strideFirst()
                    + (g.opFirst() == Cublas.OP_N
                        ? i + (long) p * g.ldFirst()
                        : p + (long) i * g.ldFirst());
            long b =
                g.second()
                    + z * g.strideSecond()
                    + (g.opSecond() == Cublas.OP_N
                        ? p + (long) j * g.ldSecond()
                        : j + (long) p * g.ldSecond());
            acc += mem[(int) a] * mem[(int) b];
          }
          long c = g.c() + z * g.strideC() + i + (long) j * g.ldc();
          mem[(int) c] = g.alpha() * acc + (g.beta() == 0 ? 0 : g.beta() * mem[(int) c]);
        }
      }
    }
  }

  /** The row-major launch, as gemm.cu defines it, over the same memory. */
  private static void rowMajor(CudaLaunch l, double[] mem) {
    new KernelEmulator(address -> java.lang.foreign.MemorySegment.ofArray(new float[0])).toString();
    var a = l.args();
    boolean ta = ((CudaLaunch.I32) a.get(0)).value() != 0;
    boolean tb = ((CudaLaunch.I32) a.get(1)).value() != 0;
    int m = ((CudaLaunch.I32) a.get(2)).value();
    int n = ((CudaLaunch.I32) a.get(3)).value();
    int k = ((CudaLaunch.I32) a.get(4)).value();
    long lda = ((CudaLaunch.I64) a.get(7)).value();
    long ldb = ((CudaLaunch.I64) a.get(9)).value();
    long ldc = ((CudaLaunch.I64) a.get(12)).value();
    long batch = ((CudaLaunch.I64) a.get(13)).value();
    dev.kiln.engine.cuda.kernels.Indexer ix = KernelEmulator.indexer(a.get(14));
    for (long z = 0; z < batch; z++) {
      long[] off = ix.offsets(z);
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          double acc = 0;
          for (int p = 0; p < k; p++) {
            acc +=
                mem[(int) (A + off[0] + (ta ? p * lda + i : i * lda + p))]
                    * mem[(int) (B + off[1] + (tb ? j * ldb + p : p * ldb + j))];
          }
          mem[(int) (C + off[2] + i * ldc + j)] = acc;
        }
      }
    }
  }

  private static CublasGemm check(Graph g, int launch) {
    FakeCudaRuntime device = new FakeCudaRuntime(1L << 30);
    CudaProgram p = new CudaProgram(g, Set.of(), device, new CudaAllocator(device));
    CudaLaunch l = p.launches().get(launch);
    CublasGemm call = CublasGemm.of(l, new long[] {A, B, C});
    assertNotNull(call, l.toString());
    double[] one = new double[6_000_000];
    SplittableRandom r = new SplittableRandom(7);
    for (int i = 0; i < C; i++) {
      one[i] = r.nextDouble(-1, 1);
    }
    double[] two = one.clone();
    rowMajor(l, one);
    columnMajor(call, two);
    for (int i = (int) C; i < one.length; i++) {
      assertEquals(one[i], two[i], 1e-9, "element " + (i - C) + " of C");
    }
    return call;
  }

  private static TensorType t(int... dims) {
    return TensorType.of(DType.FLOAT32, dims);
  }

  @Test
  void everyTransposeCombinationAndABroadcastBatch() {
    for (boolean ta : new boolean[] {false, true}) {
      for (boolean tb : new boolean[] {false, true}) {
        GraphBuilder b = new GraphBuilder();
        Value x = b.input(ta ? t(3, 7, 5) : t(3, 5, 7));
        Value w = b.input(tb ? t(4, 7) : t(7, 4));
        check(b.output(b.matmul(x, w, ta, tb)).build(), 0);
      }
    }
  }

  @Test
  void aGroupedConvolutionsGemmReadsStridedSlicesOfTheFilter() {
    GraphBuilder b = new GraphBuilder();
    Value x = b.input(t(2, 5, 5, 4));
    Value w = b.input(t(3, 3, 2, 6));
    ConvSpec spec = new ConvSpec(new int[] {1, 1}, Padding.SAME, new int[] {1, 1}, 2);
    check(b.output(b.conv(x, w, spec)).build(), 1);
  }

  @Test
  void sixteenBitGemmsMapAsFloat32DoesAndNameTheirType() {
    for (DType d : new DType[] {DType.FLOAT32, DType.BFLOAT16, DType.FLOAT16}) {
      GraphBuilder b = new GraphBuilder();
      Value x = b.input(TensorType.of(d, 3, 7, 5));
      Value w = b.input(TensorType.of(d, 4, 7));
      CublasGemm call = check(b.output(b.matmul(x, w, true, true)).build(), 0);
      int expected =
          switch (d) {
            case BFLOAT16 -> Cublas.R_16BF;
            case FLOAT16 -> Cublas.R_16F;
            default -> Cublas.R_32F;
          };
      assertEquals(expected, call.dataType(), d.toString());
      assertEquals(3, call.batch(), d.toString());
    }
  }

  @Test
  void otherTypesStayOnKilnsKernels() {
    GraphBuilder b = new GraphBuilder();
    Value x = b.input(TensorType.of(DType.FLOAT64, 4, 4));
    Graph g = b.output(b.matmul(x, x)).build();
    FakeCudaRuntime device = new FakeCudaRuntime(1L << 30);
    CudaProgram p = new CudaProgram(g, Set.of(), device, new CudaAllocator(device));
    assertNull(CublasGemm.of(p.launches().get(0), new long[] {A, B, C}));
  }
}
