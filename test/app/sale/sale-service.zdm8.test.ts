// The sale lifecycle against real parts with a zdm8 board: the scenarios are in sale-service-scenarios.ts.
import { saleServiceScenarios } from './sale-service-scenarios.ts';

saleServiceScenarios('zdm8');
