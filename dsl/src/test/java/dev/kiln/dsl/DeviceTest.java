package dev.kiln.dsl;

import dev.kiln.dsl.nn.BatchNorm1d;
import dev.kiln.dsl.nn.Linear;
import dev.kiln.dsl.nn.MSELoss;
import dev.kiln.dsl.nn.Module;
import dev.kiln.dsl.nn.Parameter;
import dev.kiln.dsl.nn.ReLU;
import dev.kiln.dsl.nn.Sequential;
import dev.kiln.dsl.optim.SGD;
import dev.kiln.ir.DType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Devices with PyTorch's semantics. Without a GPU the CUDA paths run on stand-in backends ({@link StandInCuda}): one
 * reporting two GPUs and compiling with the JVM backend, one with no driver; a backend name that is on no class path
 * stands for a build without codegen-cuda.
 */
class DeviceTest {
    private static final Device CUDA0 = Device.cuda(0);
    private static final String SAME_DEVICE = "Expected all tensors to be on the same device, but found at least two devices, ";

    @AfterEach
    void restoreTheCudaBackend() { Devices.cudaBackend = "cuda"; }

    private static void useCudaBackend(String name) { Devices.cudaBackend = name; }

    private static String mixedDeviceMessage(Runnable op) { return assertThrows(IllegalArgumentException.class, op::run).getMessage(); }

    @Nested
    class DeviceValues {
        @Test
        void parseAndPrintAsTorchDevice() {
            assertEquals(Device.CPU, Device.of("cpu"));
            assertSame(Device.CPU, Device.cpu());
            assertEquals(Device.cuda(1), Device.of("cuda:1"));
            assertEquals("cuda:1", Device.of("cuda:1").toString());
            assertEquals("cpu", Device.CPU.toString());
            Device current = Device.of("cuda");
            assertEquals("cuda", current.toString());
            assertFalse(current.hasIndex());
            assertEquals(-1, current.index());
            assertFalse(current.equals(CUDA0), "torch.device('cuda') != torch.device('cuda:0')");
            assertEquals("cuda", Device.cuda(3).type());
            assertTrue(Device.cuda(3).isCuda());
        }

        @Test
        void rejectUnknownTypesAndBadIndices() {
            assertEquals("Expected one of cpu, cuda device type at start of device string: gpu",
                    assertThrows(IllegalArgumentException.class, () -> Device.of("gpu")).getMessage());
            assertTrue(assertThrows(IllegalArgumentException.class, () -> Device.of("cuda:x")).getMessage().startsWith("Invalid device string: 'cuda:x'"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> Device.of("cuda:-1")).getMessage().startsWith("Invalid device string: 'cuda:-1'"));
            assertThrows(IllegalArgumentException.class, () -> Device.cuda(-1));
        }
    }

    @Nested
    class WhatThisMachineHas {
        @Test
        void theListStartsWithTheCpuAndAgreesWithTheCudaQueries() {
            List<Device> devices = Kiln.devices();
            assertEquals(Device.CPU, devices.get(0));
            assertEquals(1 + Kiln.cudaDeviceCount(), devices.size());
            assertEquals(Kiln.cudaIsAvailable(), Kiln.cudaDeviceCount() > 0);
            assertEquals(Kiln.cudaIsAvailable(), Kiln.cudaUnavailableReason() == null);
        }

        @Test
        void withoutTheCudaBackendOnTheClassPathOnlyTheCpu() {
            useCudaBackend("absent-cuda");
            assertEquals(List.of(Device.CPU), Kiln.devices());
            assertFalse(Kiln.cudaIsAvailable());
            assertEquals(0, Kiln.cudaDeviceCount());
            assertEquals("the CUDA backend ('absent-cuda', module codegen-cuda) is not on the class path", Kiln.cudaUnavailableReason());
        }

        @Test
        void aBackendWithoutDevicesSaysWhy() {
            useCudaBackend(StandInCuda.NoDriver.NAME);
            assertEquals(List.of(Device.CPU), Kiln.devices());
            assertEquals(StandInCuda.NoDriver.REASON, Kiln.cudaUnavailableReason());
        }

        @Test
        void gpusFollowTheCpu() {
            useCudaBackend(StandInCuda.Gpus.NAME);
            assertEquals(List.of(Device.CPU, CUDA0, Device.cuda(1)), Kiln.devices());
            assertTrue(Kiln.cudaIsAvailable());
            assertEquals(2, Kiln.cudaDeviceCount());
            assertNull(Kiln.cudaUnavailableReason());
        }
    }

    @Nested
    class UnavailableDevices {
        @Test
        void movingToAMissingGpuFailsAtOnceSayingWhyAndWhatThereIs() {
            useCudaBackend("absent-cuda");
            Tensor x = Kiln.ones(2);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> x.to("cuda"));
            assertEquals("cannot use device cuda:0: CUDA is not available: the CUDA backend ('absent-cuda', module codegen-cuda) "
                    + "is not on the class path; available devices: [cpu]", e.getMessage());
            assertThrows(IllegalStateException.class, x::cuda);
            assertThrows(IllegalStateException.class, () -> Kiln.zeros(CUDA0, 2, 3));
            assertThrows(IllegalStateException.class, () -> Kiln.randn(CUDA0, 2));
        }

        @Test
        void theBackendsReasonIsPassedOn() {
            useCudaBackend(StandInCuda.NoDriver.NAME);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Kiln.ones(2).to(CUDA0));
            assertEquals("cannot use device cuda:0: CUDA is not available: " + StandInCuda.NoDriver.REASON + "; available devices: [cpu]", e.getMessage());
        }

        @Test
        void aGpuIndexBeyondTheLastIsAnInvalidOrdinal() {
            useCudaBackend(StandInCuda.Gpus.NAME);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Kiln.ones(2).cuda(2));
            assertEquals("cannot use device cuda:2: CUDA error: invalid device ordinal (this machine has 2 CUDA devices); "
                    + "available devices: [cpu, cuda:0, cuda:1]", e.getMessage());
        }

        @Test
        void aModuleStaysWhereItWasWhenTheMoveFails() {
            useCudaBackend("absent-cuda");
            Module net = new Sequential(new Linear(2, 3), new ReLU());
            assertThrows(IllegalStateException.class, () -> net.to("cuda"));
            for (Parameter p : net.parameters()) assertEquals(Device.CPU, p.device());
        }

        @Test
        void aValueOnAnUnusableDeviceCannotBeComputed() {
            useCudaBackend("absent-cuda");
            Tensor onGpu = Kiln.ones(2).moved(CUDA0).mul(2).sum();      // built without a GPU: a construction-time tensor
            IllegalStateException e = assertThrows(IllegalStateException.class, onGpu::item);
            assertTrue(e.getMessage().startsWith("cannot use device cuda:0: CUDA is not available"), e.getMessage());
        }
    }

    /** The construction-time check needs no GPU: tensors on cuda:0 are built, never computed. */
    @Nested
    class MixingDevices {
        private final Tensor gpu = Kiln.ones(2, 3).moved(CUDA0);
        private final Tensor cpu = Kiln.ones(2, 3);

        @Test
        void anOpOverTwoDevicesFailsWithPyTorchsMessage() {
            assertEquals(SAME_DEVICE + "cuda:0 and cpu!", mixedDeviceMessage(() -> gpu.add(cpu)));
            assertEquals(SAME_DEVICE + "cuda:0 and cpu!", mixedDeviceMessage(() -> cpu.mul(gpu)));
            assertEquals(SAME_DEVICE + "cuda:0 and cuda:1!", mixedDeviceMessage(() -> gpu.sub(Kiln.ones(2, 3).moved(Device.cuda(1)))));
        }

        @Test
        void everyKindOfOpChecks() {
            Tensor cond = cpu.gt(0);
            assertEquals(SAME_DEVICE + "cuda:0 and cpu!", mixedDeviceMessage(() -> gpu.matmul(cpu.t())));
            assertEquals(SAME_DEVICE + "cuda:0 and cpu!", mixedDeviceMessage(() -> gpu.lt(cpu)));
            assertEquals(SAME_DEVICE + "cuda:0 and cpu!", mixedDeviceMessage(() -> gpu.where(cond, gpu)));
            assertEquals(SAME_DEVICE + "cuda:0 and cpu!", mixedDeviceMessage(() -> Kiln.cat(List.of(cpu, gpu), 0)));
            assertEquals(SAME_DEVICE + "cuda:0 and cpu!", mixedDeviceMessage(() -> cpu.add_(gpu)));
            assertEquals(SAME_DEVICE + "cuda:0 and cpu!", mixedDeviceMessage(() -> F.linear(gpu, Kiln.ones(4, 3), null)));
            assertEquals(SAME_DEVICE + "cuda:0 and cpu!", mixedDeviceMessage(() -> F.mseLoss(gpu, cpu)));
        }

        @Test
        void zeroDimensionalCpuTensorsJoinAnyDevice() {
            assertEquals(CUDA0, gpu.add(Kiln.scalarTensor(2, DType.F32)).device());
            assertEquals(CUDA0, Kiln.scalarTensor(2, DType.F32).mul(gpu).device());
            assertEquals(CUDA0, gpu.mul(2).device());
            assertEquals(SAME_DEVICE + "cuda:0 and cpu!", mixedDeviceMessage(() -> gpu.add(cpu.sum().reshape(1))));
        }

        @Test
        void resultsViewsAndCopiesStayOnTheirInputsDevice() {
            assertEquals(CUDA0, gpu.sum().device());
            assertEquals(CUDA0, gpu.t().device());
            assertEquals(CUDA0, gpu.reshape(-1).select(0, 1).device());
            assertEquals(CUDA0, gpu.argmax(1).device());
            assertEquals(CUDA0, gpu.detach().device());
            assertEquals(CUDA0, gpu.eq(gpu).ne(gpu).device());
            assertEquals(CUDA0, Kiln.zerosLike(gpu).device());
            assertEquals(CUDA0, Kiln.randnLike(gpu).device());
            assertEquals(CUDA0, F.dropout(gpu, 0.5, true).device());
            assertEquals(CUDA0, F.crossEntropy(gpu, Kiln.tensor(0L, 2L).moved(CUDA0)).device());
            assertTrue(gpu.isCuda());
            assertFalse(cpu.isCuda());
            assertEquals(Device.CPU, cpu.device());
        }

        @Test
        void copyingIntoATensorCrossesDevices() {
            Tensor target = Kiln.zeros(2, 3);
            target.copy_(gpu.detach().moved(Device.CPU));
            assertEquals(Device.CPU, target.device());
            assertEquals(CUDA0, Kiln.zeros(2, 3).moved(CUDA0).copy_(cpu).device());
        }

        @Test
        void aGradientMustBeOnItsTensorsDevice() {
            Tensor x = Kiln.ones(2).requiresGrad_(true);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.setGrad(Kiln.ones(2).moved(CUDA0)));
            assertEquals("assigned grad has data located on a different device: cuda:0 (the tensor is on cpu)", e.getMessage());
            Tensor y = x.moved(CUDA0).mul(2);
            assertEquals("invalid gradient at index 0 - expected device cuda:0 but got cpu",
                    assertThrows(IllegalArgumentException.class, () -> y.backward(Kiln.ones(2))).getMessage());
        }
    }

    /** With the stand-in's two GPUs: work on a GPU runs on the CUDA backend, the CPU's on the selected one. */
    @Nested
    class OnAGpu {
        @Test
        void toTheSameDeviceIsTheTensorItself() {
            useCudaBackend(StandInCuda.Gpus.NAME);
            Tensor x = Kiln.ones(2);
            assertSame(x, x.to("cpu"));
            assertSame(x, x.cpu());
            Tensor g = x.to("cuda");
            assertEquals(CUDA0, g.device());
            assertSame(g, g.to(CUDA0));
            assertSame(g, g.cuda());
            assertNotSame(g, g.to("cuda:1"));
            assertEquals(Device.cuda(1), g.to("cuda:1").device());
        }

        @Test
        void factoriesPlaceTheirResult() {
            useCudaBackend(StandInCuda.Gpus.NAME);
            assertEquals(CUDA0, Kiln.zeros(CUDA0, 2, 3).device());
            assertEquals(Device.cuda(1), Kiln.ones(Device.cuda(1), 2).device());
            assertEquals(CUDA0, Kiln.randn(Device.of("cuda"), 4).device());
            assertEquals(CUDA0, Kiln.rand(CUDA0, 4).device());
            assertEquals(CUDA0, Kiln.full(new int[] {2}, 7, DType.F64, CUDA0).device());
            Tensor t = Kiln.tensor(new double[] {1, 2, 3, 4}, new int[] {2, 2}, DType.I64, CUDA0);
            assertEquals(CUDA0, t.device());
            assertArrayEquals(new long[] {1, 2, 3, 4}, t.toLongArray());
            assertEquals(Device.CPU, Kiln.zeros(Device.CPU, 2).device());
        }

        @Test
        void gpuWorkCompilesOnTheCudaBackendAndCpuWorkDoesNot() {
            useCudaBackend(StandInCuda.Gpus.NAME);
            Tensor x = Kiln.tensor(1f, 2f, 3f);
            int before = StandInCuda.Gpus.COMPILED.get();
            assertEquals(12.0, x.mul(2).sum().item(), 1e-6);
            assertEquals(before, StandInCuda.Gpus.COMPILED.get(), "CPU work compiled on the CUDA backend");
            Tensor y = x.to("cuda").mul(3).add(0.5);
            assertArrayEquals(new float[] {3.5f, 6.5f, 9.5f}, y.toFloatArray());
            assertTrue(StandInCuda.Gpus.COMPILED.get() > before, "GPU work did not compile on the CUDA backend");
            assertEquals(19.5, y.sum().cpu().item(), 1e-6);
        }

        @Test
        void printingNamesTheDevice() {
            useCudaBackend(StandInCuda.Gpus.NAME);
            assertEquals("tensor([1., 2.], device='cuda:1')", Kiln.tensor(1f, 2f).to("cuda:1").toString());
            Tensor w = Kiln.tensor(1f, 2f).requiresGrad_(true);
            assertEquals("tensor([2., 4.], device='cuda:0', grad_fn=<MulBackward0>)", w.cuda().mul(2).toString());
            assertEquals("tensor([], device='cuda:0', size=(0, 2), dtype=torch.float64)", Kiln.zeros(CUDA0, 0, 2).to(DType.F64).toString());
        }

        @Test
        void gradientsFlowBackAcrossAMoveToTheSourcesDevice() {
            useCudaBackend(StandInCuda.Gpus.NAME);
            Tensor x = Kiln.tensor(1f, 2f, 3f).requiresGrad_(true);
            Tensor onGpu = x.to(CUDA0);
            assertEquals("ToCopyBackward0", onGpu.gradFn().name());
            Tensor loss = onGpu.mul(onGpu).sum();
            assertEquals(CUDA0, loss.device());
            loss.backward();
            assertEquals(Device.CPU, x.grad().device());
            assertArrayEquals(new float[] {2f, 4f, 6f}, x.grad().toFloatArray());

            Tensor w = Kiln.ones(CUDA0, 2).requiresGrad_(true);
            Tensor back = w.cpu().mul(Kiln.tensor(3f, 4f)).sum();
            assertEquals(Device.CPU, back.device());
            back.backward();
            assertEquals(CUDA0, w.grad().device());
            assertArrayEquals(new float[] {3f, 4f}, w.grad().toFloatArray());
        }

        @Test
        void aModuleMovesInPlaceWithItsGradientsAndBuffers() {
            useCudaBackend(StandInCuda.Gpus.NAME);
            Kiln.manualSeed(7);
            Sequential net = new Sequential(new Linear(4, 8), new BatchNorm1d(8), new ReLU(), new Linear(8, 2));
            Tensor x = Kiln.randn(5, 4);
            List<Parameter> params = net.parameters();
            double[] before = params.get(0).toDoubleArray();
            net.invoke(x).sum().backward();                          // gradients, and running statistics that moved
            Tensor expected = net.eval().invoke(x);

            assertSame(net, net.to("cuda"));
            assertEquals(params, net.parameters());
            for (int i = 0; i < params.size(); i++) assertSame(params.get(i), net.parameters().get(i));
            for (Parameter p : params) {
                assertEquals(CUDA0, p.device());
                assertEquals(CUDA0, p.grad().device());
                assertTrue(p.requiresGrad() && p.isLeaf());
            }
            for (Tensor b : net.buffers()) assertEquals(CUDA0, b.device());
            assertArrayEquals(before, params.get(0).toDoubleArray());

            Tensor out = net.eval().invoke(x.to(CUDA0));
            assertEquals(CUDA0, out.device());
            assertArrayEquals(expected.toDoubleArray(), out.toDoubleArray(), 1e-6);
            assertEquals(SAME_DEVICE + "cuda:0 and cpu!", mixedDeviceMessage(() -> net.invoke(x)));

            net.cpu();
            for (Parameter p : params) assertEquals(Device.CPU, p.grad().device());
            assertEquals(Device.CPU, net.invoke(x).device());
        }

        @Test
        void anOptimizerMadeBeforeTheMoveUpdatesTheMovedParameters() {
            useCudaBackend(StandInCuda.Gpus.NAME);
            Kiln.manualSeed(3);
            Linear cpuNet = new Linear(3, 1), gpuNet = new Linear(3, 1);
            gpuNet.loadStateDict(cpuNet.stateDict());
            SGD cpuOpt = new SGD(cpuNet.parameters(), 0.1, 0.9), gpuOpt = new SGD(gpuNet.parameters(), 0.1, 0.9);
            gpuNet.to(CUDA0);
            Tensor x = Kiln.randn(8, 3), y = x.sum(1, true);
            Tensor xg = x.cuda(), yg = y.cuda();
            for (int i = 0; i < 3; i++) {
                cpuOpt.zeroGrad();
                F.mseLoss(cpuNet.invoke(x), y).backward();
                cpuOpt.step();
                gpuOpt.zeroGrad();
                F.mseLoss(gpuNet.invoke(xg), yg).backward();
                gpuOpt.step();
            }
            assertEquals(CUDA0, gpuNet.weight.device());
            assertArrayEquals(cpuNet.weight.toDoubleArray(), gpuNet.weight.toDoubleArray(), 1e-6);
        }

        @Test
        void aTrainingStepCompilesOnTheModelsDevice() {
            useCudaBackend(StandInCuda.Gpus.NAME);
            Kiln.manualSeed(5);
            Module net = new Sequential(new Linear(2, 8), new ReLU(), new Linear(8, 1)).to(CUDA0);
            Tensor x = Kiln.randn(CUDA0, 16, 2), y = x.sum(1, true);
            int before = StandInCuda.Gpus.COMPILED.get();
            TrainingStep step = TrainingStep.compile(net, new MSELoss(), new SGD(net.parameters(), 0.1), x, y);
            assertTrue(StandInCuda.Gpus.COMPILED.get() > before, "the step did not compile on the CUDA backend");
            double first = step.step(x, y);
            for (int i = 0; i < 50; i++) step.step(x, y);
            assertTrue(step.step(x, y) < first, "the loss did not fall");
            for (Parameter p : net.parameters()) assertEquals(CUDA0, p.device());
            Tensor cpuBatch = x.cpu();
            assertEquals(SAME_DEVICE + "cuda:0 and cpu!", mixedDeviceMessage(() -> step.step(cpuBatch, y)));
        }

        @Test
        void inPlaceOpsTakeCpuScalarsAndStayOnTheirDevice() {
            useCudaBackend(StandInCuda.Gpus.NAME);
            Tensor g = Kiln.ones(CUDA0, 2);
            g.add_(Kiln.tensor(1f, 2f).sum()).mul_(2);
            assertEquals(CUDA0, g.device());
            assertArrayEquals(new float[] {8f, 8f}, g.toFloatArray());
        }

        @Test
        void evaluatingTensorsOnSeveralDevicesComputesEach() {
            useCudaBackend(StandInCuda.Gpus.NAME);
            Tensor a = Kiln.tensor(1f, 2f).mul(2), b = Kiln.tensor(1f, 2f).cuda().mul(3);
            Kiln.evaluate(List.of(a, b));
            assertArrayEquals(new float[] {2f, 4f}, a.toFloatArray());
            assertArrayEquals(new float[] {3f, 6f}, b.toFloatArray());
        }
    }
}
