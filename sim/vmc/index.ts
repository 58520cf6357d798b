// The dispenser-board simulator: a 0xFA 0xFB VMC as master on any Duplex stream, with scripted faults.
export { startVmcSim } from './vmc-sim.ts';
export type {
  MotorResult,
  MotorRun,
  SimLaneConfig,
  SimLaneState,
  VmcSim,
  VmcSimOptions,
  VmcSimEvent,
  VmcSimStats,
} from './vmc-sim.ts';
export { parseFault, parseFaultSpec, seededRandom, SimFaultError } from './faults.ts';
export type { LaneFaultKind, RebootPoint, SimFault } from './faults.ts';
export { createMemoryLine, LineUnpluggedError } from './memory-line.ts';
export type { MemoryLine } from './memory-line.ts';
export { startZdm8Sim } from './zdm8-sim.ts';
export type { Zdm8Fault, Zdm8Register, Zdm8Sim, Zdm8SimOptions } from './zdm8-sim.ts';
export { parseZdm8Fault, startZdm8ControlServer } from './zdm8-control.ts';
export { startControlServer, startVmcControlServer } from './control-server.ts';
export type { ControlRoutes, VmcControlServer } from './control-server.ts';
