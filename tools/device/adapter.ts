// Prints the WebGPU adapter Dawn finds (vendor, device, driver, limits that matter to tfjs) and exits 0, or says why
// there is none and exits 2. Part of tools/device/run.sh.
import { backendInfo, initBackend, isBoltzflowError, tf } from '@boltzflow/core';

try {
  await initBackend('webgpu');
  const info = backendInfo();
  const device = (tf.backend() as unknown as { device?: { limits?: Record<string, number> } }).device;
  const limits = device?.limits ?? {};
  const lavapipe = /llvmpipe|lavapipe/i.test(info.adapter ?? '');
  console.log(`WebGPU adapter: ${info.adapter || '(no description)'}${lavapipe ? ' — Mesa lavapipe, a CPU Vulkan driver, NOT a GPU' : ''}`);
  console.log(
    `  limits: maxStorageBufferBindingSize ${limits.maxStorageBufferBindingSize}, maxBufferSize ${limits.maxBufferSize}, maxComputeWorkgroupsPerDimension ${limits.maxComputeWorkgroupsPerDimension}, maxStorageBuffersPerShaderStage ${limits.maxStorageBuffersPerShaderStage}`,
  );
  console.log(`  tfjs ${info.tfjsVersion}; VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES ?? '(unset: the Vulkan loader searches its default paths)'}`);
  process.exit(0);
} catch (e) {
  console.log(`No WebGPU adapter: ${isBoltzflowError(e) ? e.message : String(e)}`);
  process.exit(2);
}
