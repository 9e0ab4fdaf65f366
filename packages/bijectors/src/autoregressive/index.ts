export { MADE, madeMasks, checkOrder, type MADEOptions } from './made.js';
export { MaskedAutoregressiveFlow, InverseAutoregressiveFlow, type MaskedAutoregressiveFlowOptions } from './maskedAutoregressiveFlow.js';
