// The benchmark's knowledge base and customer texts (constant data). Any thread.
#include "bench/parley_bench/knowledge_base.hpp"

#include <random>

namespace parley::bench {

const std::vector<kb_item>& shop_knowledge() {
  static const std::vector<kb_item> kb = {
      {true, "¿Cuál es el horario de atención?",
       "Atendemos de lunes a viernes de 9:00 a 18:00 y los sábados de 10:00 a 14:00."},
      {true, "¿Cuánto tarda el envío?",
       "Los envíos nacionales tardan de 2 a 4 días hábiles; a zonas rurales, hasta 7."},
      {true, "¿Cuánto cuesta el envío?",
       "El envío es gratis en compras desde 50 €. Por debajo cuesta 4,90 €."},
      {true, "¿Qué medios de pago aceptan?",
       "Aceptamos tarjeta de crédito o débito, transferencia bancaria, Bizum y PayPal."},
      {true, "¿Cómo sigo mi pedido?",
       "Te enviamos el número de seguimiento por correo cuando el pedido sale del almacén. "
       "Puedes consultarlo en la web de la empresa de transporte."},
      {true, "¿Tienen tienda física?",
       "Sí, en Calle Mayor 12, Madrid. Abre de lunes a sábado de 10:00 a 20:00."},
      {true, "¿Puedo cambiar la talla?",
       "Sí, el primer cambio de talla es gratis dentro de los 30 días posteriores a la compra."},
      {true, "¿Hacen envíos internacionales?",
       "Enviamos a toda la Unión Europea, Reino Unido y Suiza. El plazo es de 5 a 10 días."},
      {true, "What are your opening hours?",
       "We are open Monday to Friday from 9am to 6pm and Saturdays from 10am to 2pm."},
      {true, "How long does shipping take?",
       "Domestic shipping takes 2 to 4 business days; international orders 5 to 10."},
      {true, "Which payment methods do you accept?",
       "We accept credit and debit cards, bank transfer and PayPal."},
      {true, "How can I track my order?",
       "We email you the tracking number as soon as your order leaves the warehouse."},
      {true, "Do you ship internationally?",
       "Yes, we ship to the European Union, the United Kingdom and Switzerland."},
      {true, "Can I exchange an item for another size?",
       "Yes, your first size exchange within 30 days is free of charge."},
      {false, "Devoluciones",
       "Puedes devolver un producto dentro de los 30 días posteriores a la compra, sin usar y "
       "con su etiqueta.\n\nEl reembolso se hace al mismo medio de pago en un plazo de 5 días "
       "hábiles desde que recibimos el paquete."},
      {false, "Garantía",
       "Todos los productos tienen dos años de garantía. Si un producto llega dañado, escríbenos "
       "con una foto y el número de pedido y te enviamos uno nuevo sin coste."},
      {false, "Returns",
       "You can return an unused item with its tag within 30 days of purchase.\n\nWe refund the "
       "original payment method within 5 business days of receiving the parcel."},
      {false, "Care instructions",
       "Wash cotton garments at 30 degrees, inside out. Do not tumble dry wool; dry it flat in "
       "the shade."},
  };
  return kb;
}

const std::vector<std::string>& customer_messages() {
  static const std::vector<std::string> texts = {
      "Hola, ¿cuál es el horario de atención?",
      "Buenas tardes, ¿cuál es el horario de atención del sábado?",
      "¿Cuánto tarda el envío a Sevilla?",
      "Buenas, ¿cuánto cuesta el envío?",
      "¿El envío es gratis?",
      "¿Aceptan PayPal como medio de pago?",
      "¿Aceptan Bizum?",
      "¿Cómo sigo mi pedido?",
      "¿Tienen tienda física en Madrid?",
      "Quiero cambiar la talla de una camiseta",
      "¿Hacen envíos internacionales a Francia?",
      "¿Cómo cambio un producto por otra talla?",
      "¿Cuántos días tengo para devolver un producto?",
      "¿Qué garantía tienen los productos?",
      "¿Los productos tienen garantía de dos años?",
      "Hola! ¿Cuánto tarda el envío a Valencia?",
      "What are your opening hours?",
      "How long does shipping take to London?",
      "Do you ship internationally?",
      "Can I pay by credit card?",
      "How can I track my order?",
      "I would like to exchange my shoes for a bigger size",
      "How do returns work?",
      "How should I wash a wool sweater?",
      "Hi! Which payment methods do you accept?",
  };
  return texts;
}

const std::vector<std::string>& customer_names() {
  static const std::vector<std::string> names = {
      "Lucía Fernández", "Martín González", "Sofía Rodríguez", "Mateo López",
      "Valentina Díaz",  "Hugo Martínez",   "Camila Pérez",    "Sheena Nelson",
      "James Carter",    "Olivia Brown",    "Noah Wilson",     "Emma Thompson",
  };
  return names;
}

std::vector<kb_item> generated_articles(std::size_t n, uint64_t seed) {
  static const char* products[] = {"chaqueta", "camiseta", "pantalón", "zapatilla", "mochila",
                                   "bufanda",  "vestido",  "sudadera", "jacket",    "t-shirt",
                                   "trousers", "sneaker",  "backpack", "scarf",     "dress",
                                   "hoodie",   "abrigo",   "coat",     "gorro",     "beanie"};
  static const char* materials[] = {"algodón", "lana", "lino",  "poliéster", "cuero",
                                    "cotton",  "wool", "linen", "polyester", "leather"};
  static const char* colours[] = {"azul", "rojo", "negro", "blanco", "verde",
                                  "blue", "red",  "black", "white",  "green"};
  static const char* topics_es[] = {"tallas", "cuidados", "disponibilidad", "garantía", "envío"};
  static const char* topics_en[] = {"sizes", "care", "availability", "warranty", "shipping"};
  std::mt19937_64 rng{seed};
  auto pick = [&rng](const auto& arr) {
    return std::string{arr[rng() % (sizeof(arr) / sizeof(arr[0]))]};
  };
  std::vector<kb_item> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto product = pick(products);
    auto material = pick(materials);
    auto colour = pick(colours);
    bool es = rng() % 2 == 0;
    kb_item k;
    k.faq = rng() % 3 == 0;
    auto model = std::to_string(1000 + i);
    if (es) {
      auto topic = pick(topics_es);
      k.title = k.faq ? "¿Qué " + topic + " tiene la " + product + " " + model + "?"
                      : "Modelo " + model + ": " + product + " de " + material + ", " + topic;
      k.content = "La " + product + " modelo " + model + " es de " + material + " y está en " +
                  colour + ". Sobre " + topic + ": consulta la tabla de la ficha del producto; " +
                  "lava a 30 grados y no uses secadora.\n\nSi tienes dudas sobre el modelo " +
                  model + ", te ayudamos por este chat.";
    } else {
      auto topic = pick(topics_en);
      k.title = k.faq ? "What " + topic + " does the " + product + " " + model + " have?"
                      : "Model " + model + ": " + material + " " + product + ", " + topic;
      k.content = "The " + product + " model " + model + " is made of " + material +
                  " and comes in " + colour + ". About " + topic +
                  ": see the table on the product page; wash at 30 degrees, no tumble dryer.\n\n" +
                  "Questions about model " + model + "? Ask us here.";
    }
    out.push_back(std::move(k));
  }
  return out;
}

}  // namespace parley::bench
