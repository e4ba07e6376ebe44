package dev.kiln.engine.cuda.driver;

import static dev.kiln.engine.cuda.driver.Calls.named;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.kiln.engine.cuda.driver.Status.Pointer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.function.Function;

/**
 * The CUDA driver API ({@code libcuda.so.1}) through FFM downcalls: devices, primary contexts,
 * streams, events, memory, modules, kernel launches and stream capture into graphs.
 *
 * <p>Every symbol is looked up once, when the driver is bound; every call's {@code CUresult} is
 * checked, and a non-zero one becomes a {@link CudaException} naming the call, its arguments, the
 * error's name and the driver's description. Signatures follow {@code cuda.h} of CUDA 13, using the
 * versioned entry points that the header maps the plain names to ({@code cuMemAlloc_v2}, {@code
 * cuStreamBeginCapture_v2}, {@code cuGraphInstantiateWithFlags}, ...): {@code CUdevice} is an
 * {@code int}, {@code CUdeviceptr} a 64-bit {@code long}, {@code size_t} a {@code long}, and
 * contexts, streams, events, modules, functions and graphs are pointers ({@link MemorySegment}).
 *
 * <p>Driver calls act on the calling thread's current context: a thread calls {@link
 * #ctxSetCurrent} before allocating, copying or launching.
 */
public final class CudaDriver {
  /** {@code CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT}. */
  public static final int ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;

  /** {@code CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR}. */
  public static final int ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;

  /** {@code CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR}. */
  public static final int ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;

  /** {@code CU_STREAM_NON_BLOCKING}: no implicit synchronization with the legacy stream 0. */
  public static final int STREAM_NON_BLOCKING = 1;

  /** {@code CU_EVENT_DEFAULT}: an event that records time. */
  public static final int EVENT_DEFAULT = 0;

  /** {@code CU_EVENT_DISABLE_TIMING}. */
  public static final int EVENT_DISABLE_TIMING = 2;

  /** {@code CU_MEMHOSTALLOC_PORTABLE}: pinned memory usable from every context. */
  public static final int MEMHOSTALLOC_PORTABLE = 1;

  /** {@code CUDA_ERROR_NOT_READY}: {@code cuEventQuery}'s answer while the work is pending. */
  public static final int ERROR_NOT_READY = 600;

  /** {@code CU_STREAM_CAPTURE_MODE_GLOBAL}. */
  public static final int CAPTURE_MODE_GLOBAL = 0;

  /** {@code CU_STREAM_CAPTURE_MODE_THREAD_LOCAL}. */
  public static final int CAPTURE_MODE_THREAD_LOCAL = 1;

  /** {@code CU_STREAM_CAPTURE_MODE_RELAXED}. */
  public static final int CAPTURE_MODE_RELAXED = 2;

  static final CFunction INIT = CFunction.status("cuInit", JAVA_INT);
  static final CFunction DRIVER_GET_VERSION = CFunction.status("cuDriverGetVersion", ADDRESS);
  static final CFunction DEVICE_GET_COUNT = CFunction.status("cuDeviceGetCount", ADDRESS);
  static final CFunction DEVICE_GET = CFunction.status("cuDeviceGet", ADDRESS, JAVA_INT);
  static final CFunction DEVICE_GET_NAME =
      CFunction.status("cuDeviceGetName", ADDRESS, JAVA_INT, JAVA_INT);
  static final CFunction DEVICE_GET_ATTRIBUTE =
      CFunction.status("cuDeviceGetAttribute", ADDRESS, JAVA_INT, JAVA_INT);
  static final CFunction DEVICE_TOTAL_MEM =
      CFunction.status("cuDeviceTotalMem_v2", ADDRESS, JAVA_INT);
  static final CFunction PRIMARY_CTX_RETAIN =
      CFunction.status("cuDevicePrimaryCtxRetain", ADDRESS, JAVA_INT);
  static final CFunction PRIMARY_CTX_RELEASE =
      CFunction.status("cuDevicePrimaryCtxRelease_v2", JAVA_INT);
  static final CFunction CTX_SET_CURRENT = CFunction.status("cuCtxSetCurrent", ADDRESS);
  static final CFunction CTX_SYNCHRONIZE = CFunction.status("cuCtxSynchronize");
  static final CFunction STREAM_CREATE = CFunction.status("cuStreamCreate", ADDRESS, JAVA_INT);
  static final CFunction STREAM_SYNCHRONIZE = CFunction.status("cuStreamSynchronize", ADDRESS);
  static final CFunction STREAM_DESTROY = CFunction.status("cuStreamDestroy_v2", ADDRESS);
  static final CFunction EVENT_CREATE = CFunction.status("cuEventCreate", ADDRESS, JAVA_INT);
  static final CFunction EVENT_RECORD = CFunction.status("cuEventRecord", ADDRESS, ADDRESS);
  static final CFunction EVENT_SYNCHRONIZE = CFunction.status("cuEventSynchronize", ADDRESS);
  static final CFunction EVENT_QUERY = CFunction.status("cuEventQuery", ADDRESS);
  // CUDA 13's header maps cuEventElapsedTime to _v2; drivers before 12.8 have only the first.
  static final CFunction EVENT_ELAPSED_TIME =
      CFunction.status("cuEventElapsedTime_v2", ADDRESS, ADDRESS, ADDRESS).or("cuEventElapsedTime");
  static final CFunction EVENT_DESTROY = CFunction.status("cuEventDestroy_v2", ADDRESS);
  static final CFunction MEM_ALLOC = CFunction.status("cuMemAlloc_v2", ADDRESS, JAVA_LONG);
  static final CFunction MEM_FREE = CFunction.status("cuMemFree_v2", JAVA_LONG);
  static final CFunction MEMSET_D32_ASYNC =
      CFunction.status("cuMemsetD32Async", JAVA_LONG, JAVA_INT, JAVA_LONG, ADDRESS);
  static final CFunction MEMCPY_HTOD_ASYNC =
      CFunction.status("cuMemcpyHtoDAsync_v2", JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS);
  static final CFunction MEMCPY_DTOH_ASYNC =
      CFunction.status("cuMemcpyDtoHAsync_v2", ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS);
  static final CFunction MEMCPY_DTOD_ASYNC =
      CFunction.status("cuMemcpyDtoDAsync_v2", JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS);
  static final CFunction MEM_HOST_ALLOC =
      CFunction.status("cuMemHostAlloc", ADDRESS, JAVA_LONG, JAVA_INT);
  static final CFunction MEM_FREE_HOST = CFunction.status("cuMemFreeHost", ADDRESS);
  static final CFunction MEM_GET_INFO = CFunction.status("cuMemGetInfo_v2", ADDRESS, ADDRESS);
  static final CFunction MODULE_LOAD_DATA = CFunction.status("cuModuleLoadData", ADDRESS, ADDRESS);
  static final CFunction MODULE_GET_FUNCTION =
      CFunction.status("cuModuleGetFunction", ADDRESS, ADDRESS, ADDRESS);
  static final CFunction MODULE_UNLOAD = CFunction.status("cuModuleUnload", ADDRESS);
  static final CFunction LAUNCH_KERNEL =
      CFunction.status(
          "cuLaunchKernel",
          ADDRESS,
          JAVA_INT,
          JAVA_INT,
          JAVA_INT,
          JAVA_INT,
          JAVA_INT,
          JAVA_INT,
          JAVA_INT,
          ADDRESS,
          ADDRESS,
          ADDRESS);
  static final CFunction STREAM_BEGIN_CAPTURE =
      CFunction.status("cuStreamBeginCapture_v2", ADDRESS, JAVA_INT);
  static final CFunction STREAM_END_CAPTURE =
      CFunction.status("cuStreamEndCapture", ADDRESS, ADDRESS);
  static final CFunction GRAPH_INSTANTIATE =
      CFunction.status("cuGraphInstantiateWithFlags", ADDRESS, ADDRESS, JAVA_LONG);
  static final CFunction GRAPH_LAUNCH = CFunction.status("cuGraphLaunch", ADDRESS, ADDRESS);
  static final CFunction GRAPH_EXEC_DESTROY = CFunction.status("cuGraphExecDestroy", ADDRESS);
  static final CFunction GRAPH_DESTROY = CFunction.status("cuGraphDestroy", ADDRESS);
  static final CFunction GET_ERROR_NAME =
      CFunction.status("cuGetErrorName", JAVA_INT, ADDRESS).optionalFn();
  static final CFunction GET_ERROR_STRING =
      CFunction.status("cuGetErrorString", JAVA_INT, ADDRESS).optionalFn();

  /** Every function this class binds. */
  static final List<CFunction> FUNCTIONS =
      List.of(
          INIT,
          DRIVER_GET_VERSION,
          DEVICE_GET_COUNT,
          DEVICE_GET,
          DEVICE_GET_NAME,
          DEVICE_GET_ATTRIBUTE,
          DEVICE_TOTAL_MEM,
          PRIMARY_CTX_RETAIN,
          PRIMARY_CTX_RELEASE,
          CTX_SET_CURRENT,
          CTX_SYNCHRONIZE,
          STREAM_CREATE,
          STREAM_SYNCHRONIZE,
          STREAM_DESTROY,
          EVENT_CREATE,
          EVENT_RECORD,
          EVENT_SYNCHRONIZE,
          EVENT_QUERY,
          EVENT_ELAPSED_TIME,
          EVENT_DESTROY,
          MEM_ALLOC,
          MEM_FREE,
          MEMSET_D32_ASYNC,
          MEMCPY_HTOD_ASYNC,
          MEMCPY_DTOH_ASYNC,
          MEMCPY_DTOD_ASYNC,
          MEM_HOST_ALLOC,
          MEM_FREE_HOST,
          MEM_GET_INFO,
          MODULE_LOAD_DATA,
          MODULE_GET_FUNCTION,
          MODULE_UNLOAD,
          LAUNCH_KERNEL,
          STREAM_BEGIN_CAPTURE,
          STREAM_END_CAPTURE,
          GRAPH_INSTANTIATE,
          GRAPH_LAUNCH,
          GRAPH_EXEC_DESTROY,
          GRAPH_DESTROY,
          GET_ERROR_NAME,
          GET_ERROR_STRING);

  private final MethodHandle init;
  private final MethodHandle driverGetVersion;
  private final MethodHandle deviceGetCount;
  private final MethodHandle deviceGet;
  private final MethodHandle deviceGetName;
  private final MethodHandle deviceGetAttribute;
  private final MethodHandle deviceTotalMem;
  private final MethodHandle primaryCtxRetain;
  private final MethodHandle primaryCtxRelease;
  private final MethodHandle ctxSetCurrent;
  private final MethodHandle ctxSynchronize;
  private final MethodHandle streamCreate;
  private final MethodHandle streamSynchronize;
  private final MethodHandle streamDestroy;
  private final MethodHandle eventCreate;
  private final MethodHandle eventRecord;
  private final MethodHandle eventSynchronize;
  private final MethodHandle eventQuery;
  private final MethodHandle eventElapsedTime;
  private final MethodHandle eventDestroy;
  private final MethodHandle memAlloc;
  private final MethodHandle memFree;
  private final MethodHandle memsetD32Async;
  private final MethodHandle memcpyHtoDAsync;
  private final MethodHandle memcpyDtoHAsync;
  private final MethodHandle memcpyDtoDAsync;
  private final MethodHandle memHostAlloc;
  private final MethodHandle memFreeHost;
  private final MethodHandle memGetInfo;
  private final MethodHandle moduleLoadData;
  private final MethodHandle moduleGetFunction;
  private final MethodHandle moduleUnload;
  private final MethodHandle launchKernel;
  private final MethodHandle streamBeginCapture;
  private final MethodHandle streamEndCapture;
  private final MethodHandle graphInstantiate;
  private final MethodHandle graphLaunch;
  private final MethodHandle graphExecDestroy;
  private final MethodHandle graphDestroy;
  private final MethodHandle getErrorName;
  private final MethodHandle getErrorString;
  private final Calls calls = new Calls(this::check);

  /** Binds every function through {@code resolve}; tests pass handles that need no driver. */
  CudaDriver(Function<CFunction, MethodHandle> resolve) {
    init = resolve.apply(INIT);
    driverGetVersion = resolve.apply(DRIVER_GET_VERSION);
    deviceGetCount = resolve.apply(DEVICE_GET_COUNT);
    deviceGet = resolve.apply(DEVICE_GET);
    deviceGetName = resolve.apply(DEVICE_GET_NAME);
    deviceGetAttribute = resolve.apply(DEVICE_GET_ATTRIBUTE);
    deviceTotalMem = resolve.apply(DEVICE_TOTAL_MEM);
    primaryCtxRetain = resolve.apply(PRIMARY_CTX_RETAIN);
    primaryCtxRelease = resolve.apply(PRIMARY_CTX_RELEASE);
    ctxSetCurrent = resolve.apply(CTX_SET_CURRENT);
    ctxSynchronize = resolve.apply(CTX_SYNCHRONIZE);
    streamCreate = resolve.apply(STREAM_CREATE);
    streamSynchronize = resolve.apply(STREAM_SYNCHRONIZE);
    streamDestroy = resolve.apply(STREAM_DESTROY);
    eventCreate = resolve.apply(EVENT_CREATE);
    eventRecord = resolve.apply(EVENT_RECORD);
    eventSynchronize = resolve.apply(EVENT_SYNCHRONIZE);
    eventQuery = resolve.apply(EVENT_QUERY);
    eventElapsedTime = resolve.apply(EVENT_ELAPSED_TIME);
    eventDestroy = resolve.apply(EVENT_DESTROY);
    memAlloc = resolve.apply(MEM_ALLOC);
    memFree = resolve.apply(MEM_FREE);
    memsetD32Async = resolve.apply(MEMSET_D32_ASYNC);
    memcpyHtoDAsync = resolve.apply(MEMCPY_HTOD_ASYNC);
    memcpyDtoHAsync = resolve.apply(MEMCPY_DTOH_ASYNC);
    memcpyDtoDAsync = resolve.apply(MEMCPY_DTOD_ASYNC);
    memHostAlloc = resolve.apply(MEM_HOST_ALLOC);
    memFreeHost = resolve.apply(MEM_FREE_HOST);
    memGetInfo = resolve.apply(MEM_GET_INFO);
    moduleLoadData = resolve.apply(MODULE_LOAD_DATA);
    moduleGetFunction = resolve.apply(MODULE_GET_FUNCTION);
    moduleUnload = resolve.apply(MODULE_UNLOAD);
    launchKernel = resolve.apply(LAUNCH_KERNEL);
    streamBeginCapture = resolve.apply(STREAM_BEGIN_CAPTURE);
    streamEndCapture = resolve.apply(STREAM_END_CAPTURE);
    graphInstantiate = resolve.apply(GRAPH_INSTANTIATE);
    graphLaunch = resolve.apply(GRAPH_LAUNCH);
    graphExecDestroy = resolve.apply(GRAPH_EXEC_DESTROY);
    graphDestroy = resolve.apply(GRAPH_DESTROY);
    getErrorName = resolve.apply(GET_ERROR_NAME);
    getErrorString = resolve.apply(GET_ERROR_STRING);
  }

  /**
   * Binds the driver that {@code located} loaded.
   *
   * @throws CudaException if the library was not found or lacks a function Kiln needs
   */
  public static CudaDriver bind(CudaLibraries.Located located) {
    return new CudaDriver(CFunction.resolver("the CUDA driver", located));
  }

  // ---- status checking ----

  private void check(int code, CFunction f, Object... named) {
    if (code != 0) {
      throw failure(code, f.symbol(), named);
    }
  }

  /** The exception for a failed call, named and described by the driver where it can. */
  CudaException failure(int code, String call, Object... args) {
    return Status.failure(
        "CUDA",
        call,
        args,
        code,
        StatusNames.CUDA,
        getErrorName == null ? null : c -> errorText(getErrorName, c),
        getErrorString == null ? null : c -> errorText(getErrorString, c));
  }

  private static String errorText(MethodHandle h, int code) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment out = arena.allocate(ADDRESS);
      int r = (int) h.invokeExact(code, out);
      return r == 0 ? Status.string(out.get(ADDRESS, 0)) : null;
    } catch (Throwable t) {
      return null;
    }
  }

  // ---- initialization and devices ----

  /** {@code cuInit(0)}. */
  public void init() {
    calls.run(init, INIT, named("Flags", 0), 0);
  }

  /** The driver's CUDA version, {@code 1000 * major + 10 * minor} (13000 for 13.0). */
  public int driverVersion() {
    return calls.intOut(driverGetVersion, DRIVER_GET_VERSION, named());
  }

  /** The number of CUDA devices. */
  public int deviceCount() {
    return calls.intOut(deviceGetCount, DEVICE_GET_COUNT, named());
  }

  /** The {@code CUdevice} handle of device {@code ordinal}. */
  public int device(int ordinal) {
    return calls.intOut(deviceGet, DEVICE_GET, named("ordinal", ordinal), ordinal);
  }

  /** The device's product name. */
  public String deviceName(int device) {
    try (Arena arena = Arena.ofConfined()) {
      int length = 256;
      MemorySegment out = arena.allocate(length);
      calls.run(
          deviceGetName, DEVICE_GET_NAME, named("len", length, "dev", device), out, length, device);
      return out.getString(0);
    }
  }

  /** A {@code CU_DEVICE_ATTRIBUTE_*} value of the device. */
  public int deviceAttribute(int attribute, int device) {
    return calls.intOut(
        deviceGetAttribute,
        DEVICE_GET_ATTRIBUTE,
        named("attrib", attribute, "dev", device),
        attribute,
        device);
  }

  /** The device's memory in bytes. */
  public long deviceTotalMemory(int device) {
    return calls.longOut(deviceTotalMem, DEVICE_TOTAL_MEM, named("dev", device), device);
  }

  // ---- contexts ----

  /** Retains the device's primary context; release it with {@link #primaryContextRelease}. */
  public MemorySegment primaryContextRetain(int device) {
    return calls.pointerOut(primaryCtxRetain, PRIMARY_CTX_RETAIN, named("dev", device), device);
  }

  /** Releases the device's primary context once. */
  public void primaryContextRelease(int device) {
    calls.run(primaryCtxRelease, PRIMARY_CTX_RELEASE, named("dev", device), device);
  }

  /** Makes {@code context} current on the calling thread. */
  public void ctxSetCurrent(MemorySegment context) {
    calls.run(ctxSetCurrent, CTX_SET_CURRENT, named("ctx", context), context);
  }

  /** Waits for all work of the current context. */
  public void ctxSynchronize() {
    calls.run(ctxSynchronize, CTX_SYNCHRONIZE, named());
  }

  // ---- streams and events ----

  /** A new stream ({@code flags}: 0 or {@link #STREAM_NON_BLOCKING}). */
  public MemorySegment streamCreate(int flags) {
    return calls.pointerOut(streamCreate, STREAM_CREATE, named("Flags", flags), flags);
  }

  /** Waits for the stream's work. */
  public void streamSynchronize(MemorySegment stream) {
    calls.run(streamSynchronize, STREAM_SYNCHRONIZE, named("hStream", stream), stream);
  }

  /** Destroys the stream once its work is done. */
  public void streamDestroy(MemorySegment stream) {
    calls.run(streamDestroy, STREAM_DESTROY, named("hStream", stream), stream);
  }

  /** A new event ({@code flags}: {@link #EVENT_DEFAULT} or {@link #EVENT_DISABLE_TIMING}). */
  public MemorySegment eventCreate(int flags) {
    return calls.pointerOut(eventCreate, EVENT_CREATE, named("Flags", flags), flags);
  }

  /** Records the event on the stream. */
  public void eventRecord(MemorySegment event, MemorySegment stream) {
    int r;
    try {
      r = (int) eventRecord.invokeExact(event, stream);
    } catch (Throwable t) {
      throw CFunction.unexpected(EVENT_RECORD, t);
    }
    check(r, EVENT_RECORD, "hEvent", event, "hStream", stream);
  }

  /** Waits for the event. */
  public void eventSynchronize(MemorySegment event) {
    calls.run(eventSynchronize, EVENT_SYNCHRONIZE, named("hEvent", event), event);
  }

  /**
   * Whether the work the event was recorded after is done (true too for an event never recorded).
   * Does not wait.
   */
  public boolean eventQuery(MemorySegment event) {
    int r;
    try {
      r = (int) eventQuery.invokeExact(event);
    } catch (Throwable t) {
      throw CFunction.unexpected(EVENT_QUERY, t);
    }
    if (r == ERROR_NOT_READY) {
      return false;
    }
    check(r, EVENT_QUERY, "hEvent", event);
    return true;
  }

  /** Milliseconds between two recorded, completed events. */
  public float eventElapsedMillis(MemorySegment start, MemorySegment end) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment out = arena.allocate(JAVA_FLOAT);
      calls.run(
          eventElapsedTime,
          EVENT_ELAPSED_TIME,
          named("hStart", start, "hEnd", end),
          out,
          start,
          end);
      return out.get(JAVA_FLOAT, 0);
    }
  }

  /** Destroys the event. */
  public void eventDestroy(MemorySegment event) {
    calls.run(eventDestroy, EVENT_DESTROY, named("hEvent", event), event);
  }

  // ---- memory ----

  /** Allocates {@code bytes} of device memory; returns its device address. */
  public long memAlloc(long bytes) {
    return calls.longOut(memAlloc, MEM_ALLOC, named("bytesize", bytes), bytes);
  }

  /** Frees device memory from {@link #memAlloc}. */
  public void memFree(long address) {
    calls.run(memFree, MEM_FREE, named("dptr", new Pointer(address)), address);
  }

  /** Sets {@code count} 32-bit words at {@code address} to {@code value}, on the stream. */
  public void memsetD32Async(long address, int value, long count, MemorySegment stream) {
    int r;
    try {
      r = (int) memsetD32Async.invokeExact(address, value, count, stream);
    } catch (Throwable t) {
      throw CFunction.unexpected(MEMSET_D32_ASYNC, t);
    }
    check(
        r,
        MEMSET_D32_ASYNC,
        "dstDevice",
        new Pointer(address),
        "ui",
        value,
        "N",
        count,
        "hStream",
        stream);
  }

  /**
   * Copies {@code bytes} from host memory to the device, on the stream. The copy is asynchronous
   * only from pinned memory ({@link #memHostAlloc}); {@code source} must stay alive until the
   * stream passes this point.
   */
  public void memcpyHtoDAsync(
      long destination, MemorySegment source, long bytes, MemorySegment stream) {
    checkSize(source, bytes, "source");
    int r;
    try {
      r = (int) memcpyHtoDAsync.invokeExact(destination, source, bytes, stream);
    } catch (Throwable t) {
      throw CFunction.unexpected(MEMCPY_HTOD_ASYNC, t);
    }
    check(
        r,
        MEMCPY_HTOD_ASYNC,
        "dstDevice",
        new Pointer(destination),
        "srcHost",
        source,
        "ByteCount",
        bytes,
        "hStream",
        stream);
  }

  /** Copies {@code bytes} from the device to host memory, on the stream. */
  public void memcpyDtoHAsync(
      MemorySegment destination, long source, long bytes, MemorySegment stream) {
    checkSize(destination, bytes, "destination");
    int r;
    try {
      r = (int) memcpyDtoHAsync.invokeExact(destination, source, bytes, stream);
    } catch (Throwable t) {
      throw CFunction.unexpected(MEMCPY_DTOH_ASYNC, t);
    }
    check(
        r,
        MEMCPY_DTOH_ASYNC,
        "dstHost",
        destination,
        "srcDevice",
        new Pointer(source),
        "ByteCount",
        bytes,
        "hStream",
        stream);
  }

  /** Copies {@code bytes} between device addresses, on the stream. */
  public void memcpyDtoDAsync(long destination, long source, long bytes, MemorySegment stream) {
    int r;
    try {
      r = (int) memcpyDtoDAsync.invokeExact(destination, source, bytes, stream);
    } catch (Throwable t) {
      throw CFunction.unexpected(MEMCPY_DTOD_ASYNC, t);
    }
    check(
        r,
        MEMCPY_DTOD_ASYNC,
        "dstDevice",
        new Pointer(destination),
        "srcDevice",
        new Pointer(source),
        "ByteCount",
        bytes,
        "hStream",
        stream);
  }

  /** Allocates {@code bytes} of pinned host memory; free it with {@link #memFreeHost}. */
  public MemorySegment memHostAlloc(long bytes, int flags) {
    return calls
        .pointerOut(
            memHostAlloc, MEM_HOST_ALLOC, named("bytesize", bytes, "Flags", flags), bytes, flags)
        .reinterpret(bytes);
  }

  /** Frees pinned host memory from {@link #memHostAlloc}. */
  public void memFreeHost(MemorySegment memory) {
    calls.run(memFreeHost, MEM_FREE_HOST, named("p", memory), memory);
  }

  /**
   * Free and total memory of the current context's device, in bytes.
   *
   * @param free bytes free
   * @param total bytes in all
   */
  public record MemoryInfo(long free, long total) {}

  /** Free and total memory of the current context's device. */
  public MemoryInfo memGetInfo() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment free = arena.allocate(JAVA_LONG);
      MemorySegment total = arena.allocate(JAVA_LONG);
      calls.run(memGetInfo, MEM_GET_INFO, named(), free, total);
      return new MemoryInfo(free.get(JAVA_LONG, 0), total.get(JAVA_LONG, 0));
    }
  }

  // ---- modules and launches ----

  /** Loads a module from PTX text (the driver compiles it for the current device). */
  public MemorySegment moduleLoadData(String ptx) {
    try (Arena arena = Arena.ofConfined()) {
      return calls.pointerOut(
          moduleLoadData, MODULE_LOAD_DATA, named("image", ptx), arena.allocateFrom(ptx));
    }
  }

  /** The kernel {@code name} ({@code extern "C"}, so unmangled) of a loaded module. */
  public MemorySegment moduleGetFunction(MemorySegment module, String name) {
    try (Arena arena = Arena.ofConfined()) {
      return calls.pointerOut(
          moduleGetFunction,
          MODULE_GET_FUNCTION,
          named("hmod", module, "name", name),
          module,
          arena.allocateFrom(name));
    }
  }

  /** Unloads a module. */
  public void moduleUnload(MemorySegment module) {
    calls.run(moduleUnload, MODULE_UNLOAD, named("hmod", module), module);
  }

  /**
   * Launches a kernel on the stream.
   *
   * @param function from {@link #moduleGetFunction}
   * @param grid blocks in x, y, z
   * @param block threads per block in x, y, z
   * @param sharedBytes dynamic shared memory per block
   * @param stream the stream
   * @param parameters the kernel's arguments, built with {@link KernelParameters}
   */
  public void launchKernel(
      MemorySegment function,
      int[] grid,
      int[] block,
      int sharedBytes,
      MemorySegment stream,
      KernelParameters parameters) {
    if (grid.length != 3 || block.length != 3) {
      throw new IllegalArgumentException(
          "cuLaunchKernel takes 3 grid and 3 block dimensions; got grid "
              + java.util.Arrays.toString(grid)
              + ", block "
              + java.util.Arrays.toString(block));
    }
    int r;
    try {
      r =
          (int)
              launchKernel.invokeExact(
                  function,
                  grid[0],
                  grid[1],
                  grid[2],
                  block[0],
                  block[1],
                  block[2],
                  sharedBytes,
                  stream,
                  parameters.pointers(),
                  MemorySegment.NULL);
    } catch (Throwable t) {
      throw CFunction.unexpected(LAUNCH_KERNEL, t);
    }
    check(
        r,
        LAUNCH_KERNEL,
        "f",
        function,
        "grid",
        grid,
        "block",
        block,
        "sharedMemBytes",
        sharedBytes,
        "hStream",
        stream,
        "kernelParams",
        parameters.count() + " arguments");
  }

  // ---- graphs ----

  /** Starts capturing the stream's work into a graph ({@code mode}: a {@code CAPTURE_MODE_*}). */
  public void streamBeginCapture(MemorySegment stream, int mode) {
    calls.run(
        streamBeginCapture,
        STREAM_BEGIN_CAPTURE,
        named("hStream", stream, "mode", mode),
        stream,
        mode);
  }

  /** Ends the capture; returns the captured graph. */
  public MemorySegment streamEndCapture(MemorySegment stream) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment out = arena.allocate(ADDRESS);
      calls.run(streamEndCapture, STREAM_END_CAPTURE, named("hStream", stream), stream, out);
      return out.get(ADDRESS, 0);
    }
  }

  /** An executable graph from a captured one ({@code flags}: 0 or {@code CUDA_GRAPH_*} flags). */
  public MemorySegment graphInstantiate(MemorySegment graph, long flags) {
    return calls.pointerOut(
        graphInstantiate, GRAPH_INSTANTIATE, named("hGraph", graph, "flags", flags), graph, flags);
  }

  /** Launches an executable graph on the stream. */
  public void graphLaunch(MemorySegment graphExec, MemorySegment stream) {
    int r;
    try {
      r = (int) graphLaunch.invokeExact(graphExec, stream);
    } catch (Throwable t) {
      throw CFunction.unexpected(GRAPH_LAUNCH, t);
    }
    check(r, GRAPH_LAUNCH, "hGraphExec", graphExec, "hStream", stream);
  }

  /** Destroys an executable graph. */
  public void graphExecDestroy(MemorySegment graphExec) {
    calls.run(graphExecDestroy, GRAPH_EXEC_DESTROY, named("hGraphExec", graphExec), graphExec);
  }

  /** Destroys a graph. */
  public void graphDestroy(MemorySegment graph) {
    calls.run(graphDestroy, GRAPH_DESTROY, named("hGraph", graph), graph);
  }

  // ---- shared shapes ----

  private static void checkSize(MemorySegment host, long bytes, String what) {
    if (!host.isNative()) {
      // The driver reads host memory by address; a Java array's memory can move.
      throw new IllegalArgumentException(
          "the host " + what + " of a copy must be off-heap memory, not a Java array");
    }
    if (bytes < 0 || host.byteSize() < bytes) {
      throw new IllegalArgumentException(
          "copy of "
              + bytes
              + " bytes, but the host "
              + what
              + " holds "
              + host.byteSize()
              + " bytes");
    }
  }
}
