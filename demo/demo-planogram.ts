// The demo machine's goods: twelve lanes of drinks and snacks, prices in fen.
import type { AgentConfigInput } from '../app/agent/index.ts';

export const DEMO_PLANOGRAM: AgentConfigInput['planogram'] = [
  { lane: 1, productId: 'W500', name: '矿泉水 Mineral water', priceFen: 200, stock: 8, capacity: 10 },
  { lane: 2, productId: 'COLA330', name: '可乐 Cola', priceFen: 350, stock: 8, capacity: 10 },
  { lane: 3, productId: 'TEA500', name: '冰红茶 Iced tea', priceFen: 400, stock: 8, capacity: 10 },
  { lane: 4, productId: 'OJ300', name: '橙汁 Orange juice', priceFen: 550, stock: 6, capacity: 10 },
  { lane: 5, productId: 'COF250', name: '咖啡 Coffee', priceFen: 800, stock: 6, capacity: 10 },
  { lane: 6, productId: 'MILK250', name: '牛奶 Milk', priceFen: 450, stock: 6, capacity: 10 },
  { lane: 7, productId: 'CHIP70', name: '薯片 Potato chips', priceFen: 650, stock: 5, capacity: 8 },
  { lane: 8, productId: 'CHOC50', name: '巧克力 Chocolate', priceFen: 700, stock: 5, capacity: 8 },
  { lane: 9, productId: 'BISC100', name: '饼干 Biscuits', priceFen: 500, stock: 5, capacity: 8 },
  { lane: 10, productId: 'NUT80', name: '坚果 Mixed nuts', priceFen: 1200, stock: 4, capacity: 8 },
  { lane: 11, productId: 'GUM', name: '口香糖 Chewing gum', priceFen: 300, stock: 10, capacity: 12 },
  { lane: 12, productId: 'NOOD', name: '方便面 Cup noodles', priceFen: 600, stock: 0, capacity: 8 },
];
