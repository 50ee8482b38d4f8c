"""More default stop word sets of Lucene's language analyzers (9.12.3), merged into
searchlib.lucene_stop_words.STOP_WORDS. Each is the analyzer's analysis/<code>/stopwords.txt as
WordlistLoader.getWordSet reads it (a word a line, trimmed, `#` comment lines skipped), shipped with
Lucene under the Apache License 2.0:

- Hindi (hi): Jacques Savoy's list (BSD license), with the forms HindiNormalizer makes of its words;
- Bengali (bn): Jacques Savoy's list (BSD license), its য় read as the one character U+09DF, as
  Lucene's Bengali sources write it (and IndicNormalizer leaves it before the stop filter).
"""
from __future__ import annotations

_HINDI = """
अंदर अत अपना अपनी अपने अभी आदि आप इत्यादि इन इनका इन्हीं इन्हें इन्हों इस इसका इसकी इसके इसमें इसी इसे उन उनका
उनकी उनके उनको उन्हीं उन्हें उन्हों उस उसके उसी उसे एक एवं एस ऐसे और कई कर करता करते करना करने करें कहते कहा का
काफ़ी कि कितना किन्हें किन्हों किया किर किस किसी किसे की कुछ कुल के को कोई कौन कौनसा गया घर जब जहाँ जा जितना जिन
जिन्हें जिन्हों जिस जिसे जीधर जैसा जैसे जो तक तब तरह तिन तिन्हें तिन्हों तिस तिसे तो था थी थे दबारा दिया दुसरा
दूसरे दो द्वारा न नहीं ना निहायत नीचे ने पर पर पहले पूरा पे फिर बनी बही बहुत बाद बाला बिलकुल भी भीतर मगर मानो मे
में यदि यह यहाँ यही या यिह ये रखें रहा रहे ऱ्वासा लिए लिये लेकिन व वर्ग वह वह वहाँ वहीं वाले वुह वे वग़ैरह संग
सकता सकते सबसे सभी साथ साबुत साभ सारा से सो ही हुआ हुई हुए है हैं हो होता होती होते होना होने
अपनि जेसे होति सभि तिंहों इंहों दवारा इसि किंहें थि उंहों ओर जिंहें वहिं अभि बनि हि उंहिं उंहें हें वगेरह एसे रवासा
कोन निचे काफि उसि पुरा भितर हे बहि वहां कोइ यहां जिंहों तिंहें किसि कइ यहि इंहिं जिधर इंहें अदि इतयादि हुइ कोनसा
इसकि दुसरे जहां अप किंहों उनकि भि वरग हुअ जेसा नहिं
"""

_BENGALI = """
এই ও থেকে করে এ না ওই এক্ নিয়ে করা বলেন সঙ্গে যে এব তা আর কোনো বলে সেই দিন হয় কি দু পরে সব দেওয়া মধ্যে এর সি
শুরু কাজ কিছু কাছে সে তবে বা বন আগে জ্নজন পি পর তো ছিল এখন আমরা প্রায় দুই আমাদের তাই অন্য গিয়ে প্রযন্ত মনে নতুন
মতো কেখা প্রথম আজ টি ধামার অনেক বিভিন্ন র হাজার জানা নয় অবশ্য বেশি এস করে কে হতে বি কয়েক সহ বেশ এমন এমনি কেন
কেউ নেওয়া চেষ্টা লক্ষ বলা কারণ আছে শুধু তখন যা এসে চার ছিল যদি আবার কোটি উত্তর সামনে উপর বক্তব্য এত প্রাথমিক
উপরে আছে প্রতি কাজে যখন খুব বহু গেল পেয়্র্ চালু ই নাগাদ থাকা পাচ যাওয়া রকম সাধারণ কমনে
"""

_LISTS = {"hindi": _HINDI, "bengali": _BENGALI.replace("\u09af\u09bc", "\u09df")}
EXTRA_STOP_WORDS: dict[str, frozenset[str]] = {name: frozenset(text.split()) for name, text in _LISTS.items()}
