/**
 * The 16 languages a Feishu card may carry ("配置卡片多语言",
 * https://open.feishu.cn/document/feishu-cards/configure-multi-language-content): the keys of `i18n_content`,
 * `i18n_default_value` and a toast's `i18n`, and the codes of `config.locales`. Wire vocabulary shared by the bot
 * (src/i18n.ts) and the emulator, which accepts these keys and no others.
 */
export const FEISHU_CARD_LOCALES = [
  'zh_cn',
  'en_us',
  'ja_jp',
  'zh_hk',
  'zh_tw',
  'id_id',
  'vi_vn',
  'th_th',
  'pt_br',
  'es_es',
  'ko_kr',
  'de_de',
  'fr_fr',
  'it_it',
  'ru_ru',
  'ms_my',
] as const;
export type FeishuCardLocale = (typeof FEISHU_CARD_LOCALES)[number];

export const isFeishuCardLocale = (s: string): s is FeishuCardLocale =>
  (FEISHU_CARD_LOCALES as readonly string[]).includes(s);
